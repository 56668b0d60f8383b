// fedcrm_bench_data: writes the benchmark data sets once, as .npy files,
// for fedcrm_bench and the Python peers to read.
//
//   fedcrm_bench_data --config bench/workloads.json --out DIR
#include <iostream>

#include "bench/bench_config.h"
#include "bench/bench_data.h"
#include "bench/bench_flags.h"
#include "core/common/error.h"

int main(int argc, char** argv) {
  try {
    const auto flags =
        fedcrm::bench::ParseBenchFlags(argc, argv, {"config", "out"}, {"config", "out"});
    const fedcrm::bench::BenchConfig config = fedcrm::bench::LoadBenchConfig(flags.at("config"));
    fedcrm::bench::WriteBenchData(config, flags.at("out"));
    std::cout << "wrote " << config.datasets.size() << " data sets of " << config.rows
              << " rows to " << flags.at("out") << "\n";
  } catch (const fedcrm::Error& e) {
    std::cerr << "fedcrm_bench_data: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
