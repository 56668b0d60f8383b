// Combining the silos' model updates into one mean update.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace fedcrm::fl {

// One silo's contribution to a round.
struct ClientUpdate {
  Eigen::VectorXd delta;  // local parameters - global parameters
  double weight = 1.0;    // relative weight, e.g. the silo's record count
};

// sum_k w_k delta_k / sum_k w_k. Throws fedcrm::ConfigError when `updates` is
// empty, the deltas differ in size, a weight is negative or not finite, or
// the weights sum to zero.
Eigen::VectorXd WeightedMean(const std::vector<ClientUpdate>& updates);

// How silos are weighted in the mean. Weighting by records reproduces
// centralized training on the pooled data (McMahan et al. 2017) but reveals
// each silo's record count; uniform weighting reveals nothing.
enum class Weighting { kByRecords, kUniform };

// "records" or "uniform"; anything else throws fedcrm::ConfigError.
Weighting ParseWeighting(const std::string& text);
std::string WeightingName(Weighting weighting);

// A silo's weight under `weighting` given its record count.
double ClientWeight(Weighting weighting, int64_t num_records);

}  // namespace fedcrm::fl
