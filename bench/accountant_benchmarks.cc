#include "bench/accountant_benchmarks.h"

#include <benchmark/benchmark.h>

#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::bench {
namespace {

void RunEpsilon(benchmark::State& state, const AccountantWorkload& w) {
  privacy::EpsilonAtOrder result;
  for (auto _ : state) {
    const privacy::RdpCurve curve =
        privacy::SampledGaussianRdp(w.sampling_rate, w.noise_multiplier, w.steps);
    result = privacy::EpsilonFromRdp(curve, w.delta);
    benchmark::DoNotOptimize(result);
  }
  state.counters["epsilon"] = result.epsilon;
  state.counters["order"] = result.order;
}

}  // namespace

void RegisterAccountantBenchmarks(const BenchConfig& config) {
  const AccountantWorkload w = config.accountant;
  benchmark::RegisterBenchmark("accountant/epsilon",
                               [w](benchmark::State& state) { RunEpsilon(state, w); })
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(config.min_time_s)
      ->Repetitions(config.repetitions)
      ->DisplayAggregatesOnly(true)
      ->MeasureProcessCPUTime();
}

}  // namespace fedcrm::bench
