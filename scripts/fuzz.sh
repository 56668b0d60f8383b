#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each one.
#
#   scripts/fuzz.sh [--seconds N] [BUILD_DIR]
#
# `make test` runs it briefly (--seconds 5, through CTest); `make fuzz` runs
# longer. Corpora live in BUILD_DIR/fuzz/corpus/<target> and grow across runs.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
if [[ "${1:-}" == "--seconds" ]]; then seconds="$2"; shift 2; fi
build_dir="${1:-build}"
fuzz_dir="$build_dir/fuzz"

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is not installed (make deps installs it)" >&2
  exit 1
fi
if [[ ! -f "$fuzz_dir/CMakeCache.txt" ]]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S tests/fuzz -B "$fuzz_dir" "${generator[@]}" "${launcher[@]}" \
    -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
cmake --build "$fuzz_dir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

for target in byte_codec_fuzz protocol_messages_fuzz data_table_fuzz model_file_fuzz; do
  corpus="$fuzz_dir/corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  "$fuzz_dir/$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=0 "$corpus" 2>"$fuzz_dir/$target.log" ||
    { tail -n 40 "$fuzz_dir/$target.log" >&2; exit 1; }
done
echo "fuzz: no crashes"
