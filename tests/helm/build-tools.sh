#!/usr/bin/env bash
# Builds the chart's test tools from their Go modules into ~/.cache/fedcrm/bin,
# and fetches the CRDs of the third-party kinds the chart can render:
#   helm         helm.sh/helm/v3/cmd/helm                      (HELM_VERSION)
#   kubeconform  github.com/yannh/kubeconform/cmd/kubeconform  (KUBECONFORM_VERSION)
#   cert-manager's CRDs         module github.com/cert-manager/cert-manager, deploy/crds/
#   Prometheus Operator's CRDs  module github.com/prometheus-operator/prometheus-operator,
#                               example/prometheus-operator-crd/
# (the two CRD modules are only downloaded, never built). Module and build
# caches live under ~/.cache/fedcrm/go, never in the repository. What is
# cached is not fetched again, so a repeat run only checks that files exist.
# Prints shell assignments for eval: FEDCRM_HELM, FEDCRM_KUBECONFORM,
# FEDCRM_CERT_MANAGER_CRDS, FEDCRM_PROMETHEUS_OPERATOR_CRDS.
#
# Usage: build-tools.sh
set -euo pipefail

HELM_VERSION="${FEDCRM_HELM_VERSION:-v3.22.0}"
KUBECONFORM_VERSION="${FEDCRM_KUBECONFORM_VERSION:-v0.8.0}"
CERT_MANAGER_VERSION="${FEDCRM_CERT_MANAGER_VERSION:-v1.21.2}"
PROMETHEUS_OPERATOR_VERSION="${FEDCRM_PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
FEDCRM_CACHE="${FEDCRM_CACHE:-${HOME}/.cache/fedcrm}"
bin_dir="${FEDCRM_CACHE}/bin"
helm_bin="${bin_dir}/helm-${HELM_VERSION}"
kubeconform_bin="${bin_dir}/kubeconform-${KUBECONFORM_VERSION}"
mod_dir="${FEDCRM_CACHE}/go/mod/github.com"
cert_manager_crds="${mod_dir}/cert-manager/cert-manager@${CERT_MANAGER_VERSION}/deploy/crds"
prometheus_operator_crds="${mod_dir}/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}/example/prometheus-operator-crd"

log() { printf '[build-tools %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

print_paths() {
  printf 'FEDCRM_HELM=%q\nFEDCRM_KUBECONFORM=%q\n' "${helm_bin}" "${kubeconform_bin}"
  printf 'FEDCRM_CERT_MANAGER_CRDS=%q\nFEDCRM_PROMETHEUS_OPERATOR_CRDS=%q\n' \
    "${cert_manager_crds}" "${prometheus_operator_crds}"
}

if [[ -x "${helm_bin}" && -x "${kubeconform_bin}" && -d "${cert_manager_crds}" &&
  -d "${prometheus_operator_crds}" ]]; then
  print_paths
  exit 0
fi

go="${FEDCRM_GO:-/usr/local/go/bin/go}"
[[ -x "${go}" ]] || go="$(command -v go)" || die "no go toolchain (expected /usr/local/go/bin/go)"

go_root="${FEDCRM_CACHE}/go"
mkdir -p "${bin_dir}" "${go_root}"
export GOMODCACHE="${go_root}/mod"
export GOCACHE="${go_root}/build"
export GOFLAGS="-mod=mod -buildvcs=false"
# Both pins declare go 1.26; 'local' fails clearly rather than fetching a
# toolchain behind our back.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0

# Shares the lock with tests/kube/build-apiserver.sh: both write the same
# module cache and bin directory.
exec 9>"${FEDCRM_CACHE}/build.lock"
if ! flock -n 9; then
  log "another build holds ${FEDCRM_CACHE}/build.lock; waiting"
  flock 9
fi

# build OUT MODULE VERSION PKG LDFLAGS: go build of PKG inside a throwaway
# module that requires MODULE@VERSION, written to OUT through a temporary name
# so that an interrupted build leaves no half-written binary behind.
build() {
  local out="$1" module="$2" version="$3" pkg="$4" ldflags="$5"
  [[ ! -x "${out}" ]] || return 0 # built while we waited for the lock
  local dir
  dir="${go_root}/work/$(basename "${out}")"
  mkdir -p "${dir}"
  printf 'module fedcrm.invalid/toolharness\n\ngo 1.26.0\n\nrequire %s %s\n' \
    "${module}" "${version}" >"${dir}/go.mod"
  local tmp="${out}.tmp.$$" start=${SECONDS}
  log "building ${pkg}@${version} -> ${out}"
  (cd "${dir}" && "${go}" build -trimpath -ldflags="-s -w ${ldflags}" -o "${tmp}" "${pkg}") ||
    { rm -f "${tmp}"; die "go build ${pkg}@${version} failed"; }
  mv -f "${tmp}" "${out}"
  log "built ${out} in $((SECONDS - start))s"
}

# The link flags of Helm's own Makefile: its version, and the Kubernetes
# version `helm template` and `helm lint` assume without a cluster, taken from
# the client-go it is built with (v0.X.Y -> 1.X). Without them Helm says it is
# a development build and assumes Kubernetes 1.20, which fails the chart's
# kubeVersion constraint.
helm_ldflags() {
  local mod="${GOMODCACHE}/cache/download/helm.sh/helm/v3/@v/${HELM_VERSION}.mod"
  [[ -f "${mod}" ]] || (cd "${go_root}" && "${go}" mod download "helm.sh/helm/v3@${HELM_VERSION}") >&2 ||
    die "cannot download helm.sh/helm/v3@${HELM_VERSION} from the module proxy"
  local client_go minor
  client_go="$(awk '$1 == "k8s.io/client-go" {print $2; exit}' "${mod}")"
  [[ "${client_go}" =~ ^v0\.([0-9]+)\. ]] || die "no k8s.io/client-go v0.X.Y in ${mod}"
  minor="${BASH_REMATCH[1]}"
  local flags="-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  flags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    flags+=" -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=${minor}"
  done
  echo "${flags}"
}
build "${helm_bin}" helm.sh/helm/v3 "${HELM_VERSION}" helm.sh/helm/v3/cmd/helm "$(helm_ldflags)"
build "${kubeconform_bin}" github.com/yannh/kubeconform "${KUBECONFORM_VERSION}" \
  github.com/yannh/kubeconform/cmd/kubeconform "-X main.version=${KUBECONFORM_VERSION}"

# Read-only module downloads (Go marks the extracted files read-only).
for module in "github.com/cert-manager/cert-manager@${CERT_MANAGER_VERSION}" \
  "github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}"; do
  (cd "${go_root}" && "${go}" mod download "${module}") ||
    die "cannot download ${module} from the module proxy"
done
[[ -d "${cert_manager_crds}" ]] || die "no ${cert_manager_crds}"
[[ -d "${prometheus_operator_crds}" ]] || die "no ${prometheus_operator_crds}"

print_paths
