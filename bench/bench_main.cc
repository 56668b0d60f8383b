// fedcrm_bench: fedcrm's side of `make bench`.
//
//   fedcrm_bench --config bench/workloads.json --data_dir DIR [--benchmark_* ...]
//
// DIR holds the data written by fedcrm_bench_data. Google Benchmark's own
// flags (--benchmark_out=FILE --benchmark_out_format=json, --benchmark_filter)
// work as usual.
#include <benchmark/benchmark.h>

#include <iostream>

#include "bench/accountant_benchmarks.h"
#include "bench/bench_config.h"
#include "bench/bench_flags.h"
#include "bench/secagg_benchmarks.h"
#include "bench/training_benchmarks.h"
#include "core/common/error.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  try {
    const auto flags =
        fedcrm::bench::ParseBenchFlags(argc, argv, {"config", "data_dir"}, {"config", "data_dir"});
    const fedcrm::bench::BenchConfig config = fedcrm::bench::LoadBenchConfig(flags.at("config"));
    fedcrm::bench::RegisterTrainingBenchmarks(config, flags.at("data_dir"));
    fedcrm::bench::RegisterAccountantBenchmarks(config);
    fedcrm::bench::RegisterSecAggBenchmarks(config);
  } catch (const fedcrm::Error& e) {
    std::cerr << "fedcrm_bench: " << e.what() << "\n";
    return 2;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
