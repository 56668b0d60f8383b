#!/usr/bin/env bash
# make lint:   clang-format check + clang-tidy over the C++ sources.
# make format: rewrite the sources with clang-format.
#
#   scripts/lint.sh BUILD_DIR   (needs BUILD_DIR/compile_commands.json)
#   scripts/lint.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."

dirs=(core cli runtime kube operator aggregator worker tests bench)
mapfile -t sources < <(git ls-files -- "${dirs[@]/%//*.h}" "${dirs[@]/%//*.cc}" 2>/dev/null ||
                       find "${dirs[@]}" -name '*.h' -o -name '*.cc')

if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${sources[@]}"
  echo "lint: formatted ${#sources[@]} files"
  exit 0
fi

build_dir="${1:-build}"
echo "lint: clang-format (${#sources[@]} files)"
clang-format --dry-run --Werror "${sources[@]}"

# clang-tidy on the translation units of the product (not tests): the checks
# in .clang-tidy are chosen for bugs, not style.
mapfile -t units < <(printf '%s\n' "${sources[@]}" | grep -E '\.cc$' | grep -vE '^(tests|bench)/')
echo "lint: clang-tidy (${#units[@]} translation units, this takes a few minutes on 2 cores)"
jobs=$(nproc 2>/dev/null || echo 2)
printf '%s\n' "${units[@]}" | xargs -P "$jobs" -n 4 clang-tidy -p "$build_dir" --quiet
echo "lint: clean"
