// What the benchmarks run: one JSON file (bench/workloads.json) read by the
// C++ benchmarks and by the Python peers alike, so that both sides train on
// the same data with the same batch size, sampling rate, steps and noise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model.h"

namespace fedcrm::bench {

// A seeded synthetic logistic data set: standard normal features, labels
// drawn from a logistic model with a random weight vector.
struct DatasetSpec {
  std::string name;  // also the data directory's subfolder
  int features = 0;
};

// One training workload: a model trained on one data set.
struct TrainingWorkload {
  std::string name;     // e.g. "logistic_d50"; the key both sides report under
  std::string dataset;  // a DatasetSpec name
  model::ModelSpec model;
};

// Time to compute epsilon after `steps` sampled Gaussian steps.
struct AccountantWorkload {
  double sampling_rate = 0.0;
  double noise_multiplier = 0.0;
  double delta = 0.0;
  int64_t steps = 0;
};

// SecAgg+ cost: every (clients, vector length) pair, and for the server every
// dropout rate too. Dropped clients leave after sharing keys and before
// sending their masked input, the case that makes the server expand the
// pairwise masks of every dropped client.
struct SecAggWorkload {
  std::vector<int> clients;
  std::vector<int64_t> vector_lengths;
  std::vector<double> dropout_rates;  // each in [0, 1)
  int modulus_bits = 32;
  int repetitions = 0;
  double min_time_s = 0.0;
};

struct BenchConfig {
  int64_t rows = 0;        // examples in every data set
  uint64_t seed = 0;       // data generation
  int64_t batch_size = 0;  // minibatch size; DP-SGD samples at q = batch_size / rows
  int64_t steps = 0;       // optimizer steps per timed call
  double learning_rate = 0.0;
  double noise_multiplier = 0.0;
  double clip_norm = 0.0;
  int repetitions = 0;      // timed repetitions; the median is reported
  double min_time_s = 0.0;  // minimum duration of one repetition
  std::vector<DatasetSpec> datasets;
  std::vector<TrainingWorkload> training;
  AccountantWorkload accountant;
  SecAggWorkload secagg;

  double SamplingRate() const {
    return static_cast<double>(batch_size) / static_cast<double>(rows);
  }
  const DatasetSpec& Dataset(const std::string& name) const;
};

// Reads and validates the file. Throws fedcrm::ConfigError naming the file
// and field on a missing, mistyped or out-of-range value.
BenchConfig LoadBenchConfig(const std::string& path);

}  // namespace fedcrm::bench
