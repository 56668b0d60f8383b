#!/usr/bin/env bash
# The operator benchmark: fedcrm-operator with 100 RegionSilos and 1,000
# FederatedRounds cached, on a real kube-apiserver (tests/kube), against a
# controller-runtime operator of similar scope (bench/operator/peer). Reports
# resident memory, reconcile latency p50/p99 and API requests per round;
# never asserts. See docs/benchmarks.md, section "Operator".
#
#   bench/operator/run.sh BUILD_DIR OUT_JSON
#
# Writes OUT_JSON, the Markdown table beside it (.md) and the processes' logs
# in operator-logs/ beside it. When the benchmark cannot run (no API server
# binaries, clusters that do not start, FEDCRM_BENCH_SKIP_OPERATOR=1), it
# writes the reason to OUT_JSON with .skipped for .json, prints
# "skipped: operator: <reason>" and exits 0.
#
# The Go peer is built once per source hash into ~/.cache/fedcrm/bin (never
# inside the repository), with the module and build caches of tests/kube.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BUILD_DIR OUT_JSON" >&2; exit 2; }
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="$(cd "$1" && pwd)"
mkdir -p "$(dirname "$2")"
out_json="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
skipped_file="${out_json%.json}.skipped"
rm -f "$out_json" "${out_json%.json}.md" "$skipped_file"

# shellcheck disable=SC1091  # tests/kube/versions.sh, found at run time
source "$repo/tests/kube/versions.sh"

skip() {
  echo "$*" >"$skipped_file"
  echo "skipped: operator: $*"
  exit 0
}

[[ "${FEDCRM_BENCH_SKIP_OPERATOR:-0}" != 1 ]] || skip "FEDCRM_BENCH_SKIP_OPERATOR=1"
operator="$build_dir/bin/fedcrm-operator"
[[ -x "$operator" ]] || skip "$operator is not built"
for bin in "$ETCD_BIN" "$KUBE_APISERVER_BIN"; do
  [[ -x "$bin" ]] || skip "$bin is not built (tests/kube/build-apiserver.sh builds it, ~15 min once)"
done
python3 -c 'import yaml' 2>/dev/null || skip "python3 has no yaml module (Debian: python3-yaml)"

# ---------------------------------------------------------------- the Go peer
peer_args=()
build_peer() {
  local src="$repo/bench/operator/peer" go="${GO:-}" hash bin tmp
  [[ -n "$go" ]] || go="$(command -v go || echo /usr/local/go/bin/go)"
  [[ -x "$go" ]] || { peer_args=(--skipped "controller-runtime peer: no go toolchain"); return; }
  hash="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)"
  bin="$KUBE_BIN_DIR/fedcrm-operator-peer-$hash"
  if [[ ! -x "$bin" ]]; then
    echo "bench: building the controller-runtime peer into $bin (once)"
    mkdir -p "$KUBE_BIN_DIR"
    tmp="$bin.tmp.$$"
    if ! (cd "$src" && GOMODCACHE="$FEDCRM_CACHE/go/mod" GOCACHE="$FEDCRM_CACHE/go/build" \
          GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
          "$go" build -trimpath -ldflags='-s -w' -o "$tmp" .) >"${out_json%.json}-peer-build.log" 2>&1; then
      rm -f "$tmp"
      peer_args=(--skipped "controller-runtime peer: go build failed (see ${out_json%.json}-peer-build.log)")
      return
    fi
    mv "$tmp" "$bin"
  fi
  peer_args=(--peer "$bin")
}
build_peer

# ---------------------------------------------------------------- the clusters
kube_dir="$(mktemp -d "${TMPDIR:-/tmp}/fedcrm-opbench-XXXXXX")"
cleanup() {
  "$repo/tests/kube/stop-clusters.sh" "$kube_dir" >/dev/null 2>&1 || true
  rm -rf "$kube_dir"
}
trap cleanup EXIT
start_log="${out_json%.json}-clusters.log"
: >"$start_log"
# start-clusters.sh starts the hub and two regional API servers; only the hub is used.
# Its free ports can be taken by another program before the servers bind
# them (a known race): try three times.
started=0
for _ in 1 2 3; do
  if "$repo/tests/kube/start-clusters.sh" "$kube_dir" >>"$start_log" 2>&1; then started=1; break; fi
done
[[ $started == 1 ]] || skip "the test clusters did not start (see $start_log)"

python3 "$repo/bench/operator/opbench.py" --kube_dir "$kube_dir" --operator "$operator" \
  "${peer_args[@]}" --out "$out_json" --command "bench/operator/run.sh $*"
