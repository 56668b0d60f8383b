#!/usr/bin/env bash
# Runs CMD... against fresh test clusters: builds (or finds cached) the API
# server binaries, starts the hub and the two regional API servers as
# crds-test.sh does, exports clusters.env (FEDCRM_KUBE_HUB_KUBECONFIG, ...)
# and stops everything when CMD exits, whatever its outcome.
#
# Usage: run-with-clusters.sh CMD [ARGS...]     exit status: CMD's
set -uo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

"${repo}/tests/kube/build-apiserver.sh" >&2 || exit 1
dir="$(mktemp -d /tmp/fedcrm-kube-XXXXXX)"
trap '"${repo}/tests/kube/stop-clusters.sh" "${dir}" >/dev/null 2>&1; rm -rf "${dir}"' EXIT
"${repo}/tests/kube/start-clusters.sh" "${dir}" >&2 || exit 1
set -a
# shellcheck disable=SC1091
source "${dir}/clusters.env"
set +a
"$@"
