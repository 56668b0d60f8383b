#!/usr/bin/env bash
# Seeds the Dockerfile's base images, debian:bookworm and debian:bookworm-slim,
# into the local podman (or docker) storage where no registry can be reached:
# a minbase Debian root file system made by debootstrap, imported as
# debian:bookworm, and the same without documentation, manuals and
# translations (as the official -slim) as debian:bookworm-slim. Only the test
# does this; docker/Dockerfile just names the images, as with a registry.
#
# The tarballs are cached as ~/.cache/fedcrm/images/<suite>[-slim]-minbase-<date>.tar,
# so a second run on the same day only imports. An image that is already
# present (seeded earlier, or pulled from a real registry) is left alone, so
# the engine's layer cache of the Dockerfile's apt-get steps stays valid;
# --force re-imports.
#
# Usage: seed-base-images.sh [--force]
# Env:   FEDCRM_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#        FEDCRM_CONTAINER_ENGINE (podman or docker; default: whichever exists)
set -euo pipefail

suite=bookworm
mirror="${FEDCRM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${FEDCRM_CACHE:-${HOME}/.cache/fedcrm}/images"
tarball="${cache}/${suite}-minbase-$(date -u +%Y%m%d).tar"
slim_tarball="${cache}/${suite}-slim-minbase-$(date -u +%Y%m%d).tar"
names=("debian:${suite}" "debian:${suite}-slim")
force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { printf '[seed %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

engine="${FEDCRM_CONTAINER_ENGINE:-}"
if [[ -z "${engine}" ]]; then
  if command -v podman >/dev/null; then engine=podman; elif command -v docker >/dev/null; then engine=docker; fi
fi
[[ -n "${engine}" ]] || die "neither podman nor docker is installed (scripts/deps.sh installs podman)"

missing=()
for name in "${names[@]}"; do
  if [[ ${force} -eq 1 ]] || ! "${engine}" image inspect "${name}" >/dev/null 2>&1; then
    missing+=("${name}")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "${names[*]} already present"
  exit 0
fi

# The official images' apt sources: the point release plus its updates and
# security fixes, so the images get the same package versions as the host.
write_sources() {
  rm -f "$1/etc/apt/sources.list"
  cat >"$1/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${mirror}
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

# make_slim ROOT: what -slim drops from the full image (documentation other
# than copyright notices, manuals, translations), with dpkg told to keep
# dropping it for the packages installed later.
make_slim() {
  local root="${1:?make_slim needs the root file system}"
  [[ "${root}" != / && -d "${root}/etc/dpkg" ]] || die "make_slim: ${root} is not a debootstrap root"
  printf 'path-exclude %s\n' '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' \
    '/usr/share/groff/*' '/usr/share/lintian/*' '/usr/share/locale/*' \
    >"${root}/etc/dpkg/dpkg.cfg.d/fedcrm-slim"
  echo 'path-include /usr/share/doc/*/copyright' >>"${root}/etc/dpkg/dpkg.cfg.d/fedcrm-slim"
  find "${root}/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "${root}/usr/share/doc" -mindepth 1 -type d -empty -delete
  local dir
  for dir in man info groff lintian locale; do
    [[ -d "${root}/usr/share/${dir}" ]] && find "${root}/usr/share/${dir}" -mindepth 1 -delete
  done
  return 0
}

if [[ ! -s "${tarball}" || ! -s "${slim_tarball}" ]]; then
  command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/deps.sh installs it)"
  [[ $(id -u) -eq 0 ]] || die "debootstrap needs root"
  mkdir -p "${cache}"
  root="$(mktemp -d "${cache}/rootfs-XXXXXX")"
  trap 'rm -rf "${root}" "${root}.log"' EXIT
  log "debootstrap --variant=minbase ${suite} from ${mirror} (a few minutes)"
  debootstrap --variant=minbase "${suite}" "${root}" "${mirror}" >"${root}.log" 2>&1 \
    || { tail -n 20 "${root}.log" >&2; die "debootstrap failed"; }
  write_sources "${root}"
  # What the official images leave out: package caches and lists.
  rm -rf "${root}"/var/cache/apt/archives/*.deb "${root}"/var/cache/apt/*.bin \
    "${root}"/var/lib/apt/lists/* "${root}"/var/log/*.log
  tar --numeric-owner -C "${root}" -cf "${tarball}.partial" .
  make_slim "${root}"
  tar --numeric-owner -C "${root}" -cf "${slim_tarball}.partial" .
  mv "${tarball}.partial" "${tarball}"
  mv "${slim_tarball}.partial" "${slim_tarball}"
  find "${cache}" -maxdepth 1 -name "${suite}-*minbase-*.tar" ! -path "${tarball}" \
    ! -path "${slim_tarball}" -delete
  log "cached ${tarball##*/} ($(du -h "${tarball}" | cut -f1)) and ${slim_tarball##*/} ($(du -h "${slim_tarball}" | cut -f1))"
fi

for name in "${missing[@]}"; do
  file="${tarball}"
  [[ "${name}" == *-slim ]] && file="${slim_tarball}"
  log "importing ${file##*/} as ${name}"
  out="$("${engine}" import --change 'CMD ["bash"]' "${file}" "${name}" 2>&1)" \
    || { echo "${out}" >&2; die "${engine} import ${name} failed"; }
done
