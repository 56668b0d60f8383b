// The benchmark data: seeded synthetic logistic data sets, written once as
// .npy files under a data directory (<dir>/<name>/x.npy, <dir>/<name>/y.npy)
// and read back by every side of the comparison.
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench_config.h"
#include "core/data/dataset.h"

namespace fedcrm::bench {

// `rows` x `features` standard normal features; labels Bernoulli(sigmoid(x.w))
// with w a random direction scaled to norm 2, so that the classes are
// balanced in expectation and well but not perfectly separable.
data::Dataset MakeSyntheticLogistic(int64_t rows, int features, uint64_t seed);

// Writes every data set of `config` under `dir` (created if missing).
// Throws fedcrm::DataError when a file cannot be written.
void WriteBenchData(const BenchConfig& config, const std::string& dir);

// Reads the data set `name` from `dir`. Throws fedcrm::DataError when its
// files are missing or malformed, or x and y disagree in rows.
data::Dataset LoadBenchDataset(const std::string& dir, const std::string& name);

}  // namespace fedcrm::bench
