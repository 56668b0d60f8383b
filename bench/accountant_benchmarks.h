// Google Benchmark case "accountant/epsilon": the time to compute epsilon
// for the configured sampled Gaussian mechanism (RDP at the default orders,
// composed over the steps, then converted), with the epsilon and optimal
// order reported as counters so they can be set beside other libraries'.
#pragma once

#include "bench/bench_config.h"

namespace fedcrm::bench {

void RegisterAccountantBenchmarks(const BenchConfig& config);

}  // namespace fedcrm::bench
