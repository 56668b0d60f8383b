#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from their Go modules at the pinned
# versions (tests/kube/versions.sh) into ~/.cache/fedcrm/bin. Everything Go
# touches (module cache, build cache, the throwaway modules) lives under
# ~/.cache/fedcrm/go, never in the repository.
#
# Usage: build-apiserver.sh [etcd|kube-apiserver|kubectl]...   (default: all)
# A binary that is already in the cache is not rebuilt, so repeat runs only
# check that the files exist. The first build takes long on 2 cores
# (see tests/kube/README.md).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "${script_dir}/versions.sh"

log() { printf '[build-apiserver %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(etcd kube-apiserver kubectl)
for t in "${targets[@]}"; do
  case "${t}" in
    etcd | kube-apiserver | kubectl) ;;
    *) die "unknown target '${t}' (expected etcd, kube-apiserver or kubectl)" ;;
  esac
done

bin_for() {
  case "$1" in
    etcd) echo "${ETCD_BIN}" ;;
    kube-apiserver) echo "${KUBE_APISERVER_BIN}" ;;
    kubectl) echo "${KUBECTL_BIN}" ;;
  esac
}

# Fast path: nothing to do, and no Go needed, when every binary is cached.
missing=()
for t in "${targets[@]}"; do
  [[ -x "$(bin_for "${t}")" ]] || missing+=("${t}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  for t in "${targets[@]}"; do log "cached: $(bin_for "${t}")"; done
  exit 0
fi

command -v go >/dev/null || die "go is not installed (Debian: golang-go)"

go_root="${FEDCRM_CACHE}/go"
mkdir -p "${KUBE_BIN_DIR}" "${go_root}"
export GOMODCACHE="${go_root}/mod"
export GOCACHE="${go_root}/build"
export GOFLAGS="-mod=mod -buildvcs=false"
# The pinned releases need go >= 1.26.0; 'local' fails clearly instead of
# silently fetching another toolchain. Set GOTOOLCHAIN=go1.X.Y to override.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0

# Two concurrent runs (a developer and CI, two test suites) must not race on
# the throwaway modules or half-written binaries.
exec 9>"${FEDCRM_CACHE}/build.lock"
if ! flock -n 9; then
  log "another build holds ${FEDCRM_CACHE}/build.lock; waiting"
  flock 9
fi

# Writes the throwaway module in $1 afresh: it requires $2@$3, with the
# replace lines in $4. go.sum is kept; go build adds the indirect requirements.
write_module() {
  local dir="$1" module="$2" version="$3" replaces="$4"
  mkdir -p "${dir}"
  {
    echo "module fedcrm.invalid/kubeharness"
    echo
    echo "go 1.26.0"
    echo
    echo "require ${module} ${version}"
    [[ -z "${replaces}" ]] || printf '\nreplace (\n%s\n)\n' "${replaces}"
  } >"${dir}/go.mod"
}

# k8s.io/kubernetes requires its staging modules at v0.0.0 and points them at
# ./staging with replace directives, which Go ignores in a dependency. Map
# each to its published release: v1.<minor>.<patch> -> v0.<minor>.<patch>.
kube_replaces() {
  local staging_version="v0.${KUBE_VERSION#v1.}"
  local mod_file="${GOMODCACHE}/cache/download/k8s.io/kubernetes/@v/${KUBE_VERSION}.mod"
  if [[ ! -f "${mod_file}" ]]; then
    (cd "${work_dir}" && go mod download -x "k8s.io/kubernetes@${KUBE_VERSION}" >&2) ||
      die "cannot download k8s.io/kubernetes@${KUBE_VERSION} from the module proxy"
  fi
  [[ -f "${mod_file}" ]] || die "no go.mod for k8s.io/kubernetes@${KUBE_VERSION}"
  local staging
  staging="$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "${mod_file}")"
  [[ -n "${staging}" ]] || die "found no staging modules in ${mod_file}"
  local m
  for m in ${staging}; do
    # Only modules Kubernetes requires; a few staging modules (samples) are
    # never published and must not appear.
    if grep -Eq "^[[:space:]]*${m//./\\.} v0\.0\.0([[:space:]]|$)" "${mod_file}"; then
      printf '\t%s => %s %s\n' "${m}" "${m}" "${staging_version}"
    fi
  done
}

# Kubernetes' release builds stamp the version in with -X (hack/lib/version.sh);
# without it /version reports v0.0.0-master, which kubectl and clients that
# gate features on the server version refuse. The date is the release's own,
# from the module proxy, so that rebuilds are reproducible.
kube_version_ldflags() {
  local info="${GOMODCACHE}/cache/download/k8s.io/kubernetes/@v/${KUBE_VERSION}.info"
  local minor="${KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  local date
  date="$(sed -nE 's/.*"Time": *"([^"]+)".*/\1/p' "${info}" 2>/dev/null)"
  local kv key val pkg
  for kv in "gitVersion=${KUBE_VERSION}" gitMajor=1 "gitMinor=${minor}" gitCommit= \
    gitTreeState=archive "buildDate=${date:-1970-01-01T00:00:00Z}"; do
    key="${kv%%=*}" val="${kv#*=}"
    for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
      printf -- '-X %s.%s=%s ' "${pkg}" "${key}" "${val}"
    done
  done
}

# go build with progress: -v prints each package as it is compiled.
# go_build DIR OUT PKG [LDFLAGS]
go_build() {
  local dir="$1" out="$2" pkg="$3" ldflags="-s -w ${4:-}"
  local start=${SECONDS} tmp="${out}.tmp.$$"
  log "building ${pkg} -> ${out} (go $(go env GOVERSION), this may take long)"
  (cd "${dir}" && go build -v -trimpath -ldflags="${ldflags}" -o "${tmp}" "${pkg}" 2>&1 |
    report_progress "${pkg}"
    exit "${PIPESTATUS[0]}") || { rm -f "${tmp}"; die "go build ${pkg} failed"; }
  mv -f "${tmp}" "${out}"
  log "built ${out} in $((SECONDS - start))s ($(du -h "${out}" | cut -f1))"
}

# Condenses 'go build -v' output: a line per 100 packages compiled or modules
# downloaded, so a build of many minutes shows it is alive; diagnostics as is.
report_progress() {
  local pkg="$1" line packages=0 downloads=0
  while IFS= read -r line; do
    case "${line}" in
      "go: downloading "*)
        downloads=$((downloads + 1))
        if ((downloads % 100 == 0)); then log "  ${downloads} modules downloaded"; fi
        ;;
      *[[:space:]:]*) echo "${line}" >&2 ;; # package paths have no blanks or colons
      *)
        packages=$((packages + 1))
        if ((packages % 100 == 0)); then
          log "  ${pkg}: ${packages} packages compiled (last: ${line})"
        fi
        ;;
    esac
  done
  return 0
}

for t in "${missing[@]}"; do
  out="$(bin_for "${t}")"
  [[ ! -x "${out}" ]] || { log "cached: ${out}"; continue; }  # built while we waited
  case "${t}" in
    etcd)
      work_dir="${go_root}/work/etcd-${ETCD_VERSION}"
      write_module "${work_dir}" go.etcd.io/etcd/server/v3 "${ETCD_VERSION}" ""
      # etcd's server module root is its main package (server/main.go).
      go_build "${work_dir}" "${out}" go.etcd.io/etcd/server/v3
      ;;
    kube-apiserver | kubectl)
      work_dir="${go_root}/work/kubernetes-${KUBE_VERSION}"
      write_module "${work_dir}" k8s.io/kubernetes "${KUBE_VERSION}" ""
      write_module "${work_dir}" k8s.io/kubernetes "${KUBE_VERSION}" "$(kube_replaces)"
      go_build "${work_dir}" "${out}" "k8s.io/kubernetes/cmd/${t}" "$(kube_version_ldflags)"
      ;;
  esac
done

for t in "${targets[@]}"; do
  [[ -x "$(bin_for "${t}")" ]] || die "missing $(bin_for "${t}") after the build"
done
log "done: $(printf '%s ' "${KUBE_BIN_DIR}"/*)"
