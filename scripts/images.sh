#!/usr/bin/env bash
# make images: builds fedcrm's four container images from docker/Dockerfile
# with podman, or docker where podman is absent:
#
#   <registry>/operator:<version>     fedcrm-operator
#   <registry>/aggregator:<version>   fedcrm-aggregator
#   <registry>/worker:<version>       fedcrm-worker
#   <registry>/cli:<version>          fedcrm
#
# the names the Helm chart pulls (helm/fedcrm/values.yaml: image.registry,
# default ghcr.io/fedcrm; the tag is the project version, the chart's
# appVersion). Nothing is pushed.
#
#   scripts/images.sh [BUILD_DIR]        (default: build)
#
# The image's build stage compiles with the configuration of the host's build
# tree BUILD_DIR (its CMakeCache.txt: build type, FEDCRM_WERROR), at the same
# paths, and — with podman — with the host's ccache mounted, so that after
# `make build` it mostly fetches objects from the cache instead of compiling.
# docker build cannot mount a host directory, so with docker it compiles.
#
# Env: FEDCRM_CONTAINER_ENGINE  podman|docker (default: whichever is present)
#      FEDCRM_IMAGE_REGISTRY    (default ghcr.io/fedcrm)
#      FEDCRM_IMAGE_TAG         (default: the project version)
#      FEDCRM_IMAGES            the targets to build (default "operator aggregator worker cli")
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

log() { printf '[images %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

build_dir="${1:-build}"
mkdir -p "${build_dir}"
build_dir="$(cd "${build_dir}" && pwd)"

engine="${FEDCRM_CONTAINER_ENGINE:-}"
if [[ -z "${engine}" ]]; then
  if command -v podman >/dev/null; then engine=podman; elif command -v docker >/dev/null; then engine=docker; fi
fi
[[ -n "${engine}" ]] || die "neither podman nor docker is installed (scripts/deps.sh installs podman)"

# cache_value VAR DEFAULT: VAR from the host build tree's CMakeCache.txt.
cache_value() {
  local value=""
  [[ -f "${build_dir}/CMakeCache.txt" ]] \
    && value="$(sed -n "s/^$1:[A-Z]*=//p" "${build_dir}/CMakeCache.txt" | head -n 1)"
  echo "${value:-$2}"
}
build_type="$(cache_value CMAKE_BUILD_TYPE Release)"
werror="$(cache_value FEDCRM_WERROR OFF)"

version="$(sed -n 's/^project(fedcrm VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
registry="${FEDCRM_IMAGE_REGISTRY:-ghcr.io/fedcrm}"
tag="${FEDCRM_IMAGE_TAG:-${version}}"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

args=(--file docker/Dockerfile
  --build-arg "SRC_DIR=${repo}" --build-arg "BUILD_DIR=${build_dir}"
  --build-arg "BUILD_TYPE=${build_type}" --build-arg "WERROR=${werror}"
  --label "org.opencontainers.image.version=${version}"
  --label "org.opencontainers.image.revision=${revision}"
  --label "org.opencontainers.image.created=${created}")
# What ccache hashes besides the command line: pass the host's values on.
for var in LANG LC_ALL LC_CTYPE LC_MESSAGES; do
  args+=(--build-arg "${var}=${!var:-}")
done
if [[ "${engine}" == podman ]]; then
  # Chroot isolation works without the privileges an unprivileged or nested
  # podman lacks; the host's ccache becomes the build stage's /ccache.
  args+=(--isolation chroot)
  if command -v ccache >/dev/null; then
    ccache_dir="$(ccache -k cache_dir)"
    mkdir -p "${ccache_dir}"
    args+=(--volume "${ccache_dir}:/ccache"
      --build-arg "CCACHE_BASEDIR=$(ccache -k base_dir)"
      --build-arg "CCACHE_SLOPPINESS=$(ccache -k sloppiness)")
  fi
fi

log "${engine}: ${build_type} build, FEDCRM_WERROR=${werror}, sources ${repo}, build tree ${build_dir}"
for target in ${FEDCRM_IMAGES:-operator aggregator worker cli}; do
  image="${registry}/${target}:${tag}"
  log "building ${image}"
  start=${SECONDS}
  "${engine}" build "${args[@]}" --target "${target}" --tag "${image}" . \
    || die "${engine} build --target ${target} failed"
  log "built ${image} in $((SECONDS - start)) s"
done
