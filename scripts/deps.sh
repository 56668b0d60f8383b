#!/usr/bin/env bash
# Installs the Debian packages fedcrm needs to build and test, idempotently.
#
#   scripts/deps.sh            build + test packages
#   scripts/deps.sh --print    only print the packages that are missing
#
# Packages already installed are skipped, so a repeat run costs a dpkg query.
# As non-root it prints the `sudo apt-get install ...` line instead.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries (see ARCHITECTURE.md, "Chosen dependencies")
  libeigen3-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libcpprest-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # lint, and libFuzzer (clang's runtime) for the fuzz targets
  clang clang-format clang-tidy libclang-rt-14-dev
  lua5.4  # tests/gitops: the Argo CD health checks run in Debian's Lua
  # promtool checks the exposition and the alert rules; a real Prometheus
  # scrapes a live federation (tests/observability)
  prometheus python3-yaml curl
  # benchmarks compare against Python peers in a venv
  python3 python3-venv
  # container images (tests/images): podman, its runtime, debootstrap to seed base images
  podman uidmap slirp4netns fuse-overlayfs runc debootstrap openssl
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  [[ "${1:-}" == "--print" ]] || echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
if [[ "${1:-}" == "--print" ]]; then
  printf '%s\n' "${missing[@]}"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing packages; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
