#include "core/fl/aggregation.h"

#include <cmath>
#include <sstream>
#include <string>

#include "core/common/error.h"

namespace fedcrm::fl {
namespace {

constexpr char kWhere[] = "aggregation";

std::string Describe(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void CheckUpdates(const std::vector<ClientUpdate>& updates) {
  if (updates.empty()) throw ConfigError(kWhere, "no client updates to aggregate");
  const Eigen::Index size = updates.front().delta.size();
  double total = 0.0;
  for (size_t k = 0; k < updates.size(); ++k) {
    const ClientUpdate& update = updates[k];
    const std::string which = "update " + std::to_string(k);
    if (update.delta.size() != size) {
      throw ConfigError(kWhere, which + " has " + std::to_string(update.delta.size()) +
                                    " parameters; expected " + std::to_string(size) +
                                    " like update 0");
    }
    if (!(update.weight >= 0.0 && std::isfinite(update.weight))) {
      throw ConfigError(kWhere, which + " has weight " + Describe(update.weight) +
                                    "; expected a finite number >= 0");
    }
    total += update.weight;
  }
  if (!(total > 0.0)) {
    throw ConfigError(kWhere, "client weights sum to " + Describe(total) + "; expected > 0");
  }
}

}  // namespace

Eigen::VectorXd WeightedMean(const std::vector<ClientUpdate>& updates) {
  CheckUpdates(updates);
  double total = 0.0;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(updates.front().delta.size());
  for (const ClientUpdate& update : updates) {
    sum += update.weight * update.delta;
    total += update.weight;
  }
  return sum / total;
}

Weighting ParseWeighting(const std::string& text) {
  if (text == "records") return Weighting::kByRecords;
  if (text == "uniform") return Weighting::kUniform;
  throw ConfigError("weighting", "got '" + text + "'; expected one of records, uniform");
}

std::string WeightingName(Weighting weighting) {
  return weighting == Weighting::kByRecords ? "records" : "uniform";
}

double ClientWeight(Weighting weighting, int64_t num_records) {
  return weighting == Weighting::kByRecords ? static_cast<double>(num_records) : 1.0;
}

}  // namespace fedcrm::fl
