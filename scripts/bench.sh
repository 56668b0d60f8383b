#!/usr/bin/env bash
# make bench: fedcrm's DP-SGD training throughput, privacy accountant and
# SecAgg+ masking/unmasking, side by side in one run with scikit-learn,
# PyTorch/Opacus, dp_accounting and Flower on the same data, and the operator's
# memory, reconcile latency and API requests against a controller-runtime
# operator (bench/operator/run.sh). Reports; never asserts.
#
#   scripts/bench.sh [BUILD_DIR]        (default: build)
#
# Writes BUILD_DIR/bench/results.json and prints the tables. The Python peers
# run from a virtual environment cached outside the repository,
# ~/.cache/fedcrm/bench-venv (FEDCRM_BENCH_VENV overrides), created on first
# use from bench/peers/requirements.txt. torch comes from PyPI as its CUDA
# build (~3 GB to download, ~5.5 GB installed; PyPI has no CPU-only Linux
# wheel); FEDCRM_BENCH_SKIP_TORCH=1 skips torch and Opacus instead.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${1:-build}"
bin_dir="$build_dir/bin"
out_dir="$build_dir/bench"
config=bench/workloads.json
requirements=bench/peers/requirements.txt
venv="${FEDCRM_BENCH_VENV:-$HOME/.cache/fedcrm/bench-venv}"
python="$venv/bin/python"

for tool in fedcrm_bench_data fedcrm_bench; do
  if [[ ! -x "$bin_dir/$tool" ]]; then
    echo "bench: $bin_dir/$tool is not built (needs libbenchmark-dev; run 'make build')" >&2
    exit 1
  fi
done
mkdir -p "$out_dir"
rm -f "$out_dir"/{fedcrm,training_peers,accountant_peers,secagg_peers,results}.json
data_dir="$(mktemp -d "${TMPDIR:-/tmp}/fedcrm-bench.XXXXXX")"
trap 'rm -rf "$data_dir"' EXIT

skipped=()  # "side: reason" lines for the report

# Creates or refreshes the venv. The stamp records which requirements (and
# whether torch) it was built from, so a changed pin reinstalls.
ensure_venv() {
  local log="$out_dir/venv-install.log" want_torch=1 stamp
  [[ "${FEDCRM_BENCH_SKIP_TORCH:-0}" == 1 ]] && want_torch=0
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1) torch=$want_torch"
  if [[ -x "$python" && "$(cat "$venv/.fedcrm-stamp" 2>/dev/null)" == "$stamp" ]]; then
    return 0
  fi
  echo "bench: setting up $venv (log: $log)"
  : >"$log"
  rm -f "$venv/.fedcrm-stamp"
  if ! { [[ -x "$python" ]] || python3 -m venv "$venv"; } >>"$log" 2>&1; then
    skipped+=("python peers: python3 -m venv failed (see $log)")
    return 1
  fi
  # Without torch first, so that a failed torch download still leaves
  # scikit-learn and dp_accounting.
  grep -vE '^(torch|opacus)==' "$requirements" >"$data_dir/requirements-core.txt"
  if ! "$python" -m pip install --no-cache-dir -r "$data_dir/requirements-core.txt" >>"$log" 2>&1; then
    skipped+=("python peers: pip install failed (see $log)")
    return 1
  fi
  if [[ $want_torch == 1 ]]; then
    echo "bench: installing torch and opacus (a few GB, once)"
    if ! "$python" -m pip install --no-cache-dir -r "$requirements" >>"$log" 2>&1; then
      skipped+=("opacus: pip could not install torch/opacus (see $log)")
      return 0  # no stamp: the next run tries again
    fi
  fi
  echo "$stamp" >"$venv/.fedcrm-stamp"
}

peers=0
if ensure_venv; then peers=1; fi
torch_args=()
if [[ "${FEDCRM_BENCH_SKIP_TORCH:-0}" == 1 ]]; then torch_args=(--no_torch); fi

# One thread everywhere: fedcrm's trainer is single-threaded, and the peers'
# BLAS and torch pools would otherwise take both cores.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

echo "bench: writing the data sets"
"$bin_dir/fedcrm_bench_data" --config "$config" --out "$data_dir"

echo "bench: fedcrm (C++, Google Benchmark)"
"$bin_dir/fedcrm_bench" --config "$config" --data_dir "$data_dir" \
  --benchmark_out="$out_dir/fedcrm.json" --benchmark_out_format=json >"$out_dir/fedcrm.txt"

report_args=()
if [[ $peers == 1 ]]; then
  echo "bench: Python peers (scikit-learn, PyTorch, Opacus)"
  if PYTHONPATH=bench/peers "$python" bench/peers/training_peers.py --config "$config" \
      --data_dir "$data_dir" --out "$out_dir/training_peers.json" "${torch_args[@]+"${torch_args[@]}"}"; then
    report_args+=(--training_peers "$out_dir/training_peers.json")
  else
    skipped+=("training peers: failed (output above)")
  fi
  echo "bench: Python peers (dp_accounting, Opacus accountant)"
  if PYTHONPATH=bench/peers "$python" bench/peers/accountant_peers.py --config "$config" \
      --out "$out_dir/accountant_peers.json" "${torch_args[@]+"${torch_args[@]}"}"; then
    report_args+=(--accountant_peers "$out_dir/accountant_peers.json")
  else
    skipped+=("accountant peers: failed (output above)")
  fi
  echo "bench: Python peer (Flower SecAgg+)"
  if PYTHONPATH=bench/peers "$python" bench/peers/secagg_peers.py --config "$config" \
      --out "$out_dir/secagg_peers.json"; then
    report_args+=(--secagg_peers "$out_dir/secagg_peers.json")
  else
    skipped+=("flower: failed (output above)")
  fi
fi

# The operator with 100 RegionSilos and 1,000 FederatedRounds on a real
# kube-apiserver, against a controller-runtime peer (bench/operator/run.sh;
# about 15 minutes). FEDCRM_BENCH_SKIP_OPERATOR=1 skips it.
echo "bench: operator (fedcrm-operator and a controller-runtime peer on kube-apiserver)"
rm -f "$out_dir/operator.json" "$out_dir/operator.skipped"
if bench/operator/run.sh "$build_dir" "$out_dir/operator.json"; then
  if [[ -s "$out_dir/operator.skipped" ]]; then
    skipped+=("operator: $(cat "$out_dir/operator.skipped")")
  elif [[ -s "$out_dir/operator.json" ]]; then
    report_args+=(--operator "$out_dir/operator.json")
  fi
else
  skipped+=("operator: bench/operator/run.sh failed (output above)")
fi

for line in "${skipped[@]+"${skipped[@]}"}"; do report_args+=(--skipped "$line"); done
python3 bench/peers/report.py --config "$config" --fedcrm "$out_dir/fedcrm.json" \
  "${report_args[@]+"${report_args[@]}"}" --command "scripts/bench.sh $build_dir" \
  --out "$out_dir/results.json"
