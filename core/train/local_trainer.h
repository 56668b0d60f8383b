// A silo's local training for one federated round: starting from the global
// model, take a fixed number of (optionally private) gradient steps and
// report the change in parameters.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>

#include "core/data/dataset.h"
#include "core/model/model.h"
#include "core/train/dp_sgd.h"
#include "core/train/secure_random.h"

namespace fedcrm::train {

struct LocalTrainingConfig {
  int64_t steps = 10;  // optimizer steps this round
  double learning_rate = 0.1;
  int64_t batch_size = 64;   // non-private minibatch size; 0 = full batch (deterministic)
  double momentum = 0.0;     // heavy-ball momentum in [0, 1), reset each round
  double proximal_mu = 0.0;  // FedProx: adds mu/2 ||w - w_global||^2
  std::optional<DpSgdConfig> dp = std::nullopt;  // set -> DP-SGD (batch_size then unused)
};

struct LocalTrainingResult {
  Eigen::VectorXd delta;         // local parameters - global parameters
  int64_t steps = 0;             // optimizer steps taken
  int64_t examples_used = 0;     // sum of batch sizes over the steps
  double mean_batch_size = 0.0;  // examples_used / steps
};

// Throws fedcrm::ConfigError naming the offending field.
void ValidateLocalTrainingConfig(const LocalTrainingConfig& config);

// Trains a copy of `global` on `data`; `global` itself is not changed.
// Each step uses v = momentum * v + g, w -= learning_rate * v, where g is the
// minibatch (or DP-SGD) gradient plus the L2 penalty and proximal gradients.
// Throws fedcrm::ConfigError for an invalid config, or for data that does not
// fit the model (no rows, wrong column count, labels out of range).
LocalTrainingResult TrainLocal(const model::Model& global, const data::Dataset& data,
                               const LocalTrainingConfig& config, SecureRandom& rng);

}  // namespace fedcrm::train
