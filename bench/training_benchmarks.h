// Google Benchmark cases for local training throughput: for every training
// workload, DP-SGD ("train/dp_sgd/<workload>") and plain minibatch SGD
// ("train/sgd/<workload>") through fedcrm::train::TrainLocal, the code path
// a silo's worker runs.
#pragma once

#include <string>

#include "bench/bench_config.h"

namespace fedcrm::bench {

// Loads the workloads' data sets from `data_dir` (see bench_data.h) and
// registers the cases. Throws fedcrm::DataError / ConfigError on bad input.
void RegisterTrainingBenchmarks(const BenchConfig& config, const std::string& data_dir);

}  // namespace fedcrm::bench
