#!/usr/bin/env bash
# Stops the processes that start-clusters.sh DIR started (listed in DIR/pids),
# API servers first, then etcd. Safe to run twice; keeps DIR for post-mortems.
#
# Usage: stop-clusters.sh DIR
set -euo pipefail

log() { printf '[stop-clusters %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[[ $# -eq 1 ]] || { log "usage: $0 DIR"; exit 1; }
[[ -d "$1" ]] || { log "no such directory: $1"; exit 1; }
dir="$(cd "$1" && pwd)"
pids_file="${dir}/pids"
[[ -s "${pids_file}" ]] || { log "nothing to stop (${pids_file} is empty or missing)"; exit 0; }

# Only signal a pid whose command line still names DIR: after a reboot or a
# long pause the number may belong to an unrelated process.
ours() {
  local pid="$1"
  [[ -r "/proc/${pid}/cmdline" ]] && tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "${dir}/"
}

# stop_all NAME...: SIGTERM, wait up to 10 s, then SIGKILL.
stop_all() {
  local -a pids=()
  local name pid
  for name in "$@"; do
    pid="$(awk -v n="${name}" '$1 == n {print $2}' "${pids_file}")"
    if [[ -z "${pid}" ]] || ! ours "${pid}"; then continue; fi
    kill -TERM "${pid}" 2>/dev/null || true
    pids+=("${pid}")
  done
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "${pid}" 2>/dev/null && ours "${pid}"; then
      log "pid ${pid} ignored SIGTERM; killing it"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
  done
}

names="$(awk '$1 != "etcd" {print $1}' "${pids_file}")"
# shellcheck disable=SC2086  # names are simple words written by start-clusters.sh
stop_all ${names}
stop_all etcd
: >"${pids_file}"
log "stopped (state and logs kept in ${dir})"
