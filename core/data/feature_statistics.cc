#include "core/data/feature_statistics.h"

#include <cassert>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/common/error.h"
#include "core/data/excerpt.h"

namespace fedcrm::data {
namespace {

// Relative to mean^2, variances below this are rounding noise from
// sumsq/n - mean^2 on a constant feature.
constexpr double kRelativeVarianceFloor = 1e-12;

// Rounds a count that may carry fixed-point noise; nullopt-like -1 on error.
std::int64_t CountFrom(double value) {
  if (!std::isfinite(value) || value < -0.5 || value > 9.0e15) return -1;
  return static_cast<std::int64_t>(std::llround(value));
}

}  // namespace

FeatureStatistics::FeatureStatistics(std::vector<std::string> names)
    : names_(std::move(names)),
      counts_(names_.size(), 0),
      sums_(names_.size(), 0.0),
      sums_of_squares_(names_.size(), 0.0) {}

void FeatureStatistics::Add(Eigen::Index i, double value) {
  assert(i >= 0 && i < size());
  const auto k = static_cast<std::size_t>(i);
  ++counts_[k];
  sums_[k] += value;
  sums_of_squares_[k] += value * value;
}

void FeatureStatistics::Merge(const FeatureStatistics& other) {
  if (other.names_ != names_) {
    throw ConfigError("feature statistics",
                      "cannot merge statistics of features [" + JoinForMessage(other.names_) +
                          "] into statistics of features [" + JoinForMessage(names_) + "]");
  }
  for (std::size_t k = 0; k < names_.size(); ++k) {
    counts_[k] += other.counts_[k];
    sums_[k] += other.sums_[k];
    sums_of_squares_[k] += other.sums_of_squares_[k];
  }
}

double FeatureStatistics::Mean(Eigen::Index i) const {
  const auto k = static_cast<std::size_t>(i);
  if (counts_[k] == 0) return 0.0;
  return sums_[k] / static_cast<double>(counts_[k]);
}

double FeatureStatistics::StdDev(Eigen::Index i) const {
  const auto k = static_cast<std::size_t>(i);
  if (counts_[k] == 0) return 1.0;
  const double mean = Mean(i);
  const double variance = sums_of_squares_[k] / static_cast<double>(counts_[k]) - mean * mean;
  if (!(variance > kRelativeVarianceFloor * mean * mean) || !std::isfinite(variance)) {
    return 1.0;
  }
  return std::sqrt(variance);
}

nlohmann::json FeatureStatistics::ToJson() const {
  nlohmann::json features = nlohmann::json::array();
  for (std::size_t k = 0; k < names_.size(); ++k) {
    features.push_back({{"name", names_[k]},
                        {"count", counts_[k]},
                        {"sum", sums_[k]},
                        {"sum_of_squares", sums_of_squares_[k]}});
  }
  return {{"features", std::move(features)}};
}

FeatureStatistics FeatureStatistics::FromJson(const nlohmann::json& json,
                                              const std::string& where) {
  const std::string features_where = where.empty() ? "features" : where + ".features";
  if (!json.is_object() || !json.contains("features") || !json["features"].is_array()) {
    throw ConfigError(features_where, "expected a list of feature statistics");
  }
  const nlohmann::json& features = json["features"];
  std::vector<std::string> names;
  for (const auto& entry : features) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
      throw ConfigError(features_where + "[" + std::to_string(names.size()) + "].name",
                        "expected a string");
    }
    names.push_back(entry["name"].get<std::string>());
  }
  FeatureStatistics stats(std::move(names));
  for (std::size_t k = 0; k < features.size(); ++k) {
    const std::string entry_where = features_where + "[" + std::to_string(k) + "]";
    const nlohmann::json& entry = features[k];
    for (const char* key : {"count", "sum", "sum_of_squares"}) {
      if (!entry.contains(key) || !entry[key].is_number() ||
          !std::isfinite(entry[key].get<double>())) {
        throw ConfigError(entry_where + "." + key, "expected a finite number");
      }
    }
    if (!entry["count"].is_number_integer() || entry["count"].get<std::int64_t>() < 0) {
      throw ConfigError(entry_where + ".count", "expected a non-negative integer");
    }
    stats.counts_[k] = entry["count"].get<std::int64_t>();
    stats.sums_[k] = entry["sum"].get<double>();
    stats.sums_of_squares_[k] = entry["sum_of_squares"].get<double>();
  }
  return stats;
}

Eigen::VectorXd FeatureStatistics::ToVector() const {
  const Eigen::Index n = size();
  Eigen::VectorXd v(3 * n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    v(i) = static_cast<double>(counts_[k]);
    v(n + i) = sums_[k];
    v(2 * n + i) = sums_of_squares_[k];
  }
  return v;
}

FeatureStatistics FeatureStatistics::FromVector(std::vector<std::string> names,
                                                const Eigen::VectorXd& v) {
  FeatureStatistics stats(std::move(names));
  const Eigen::Index n = stats.size();
  if (v.size() != 3 * n) {
    throw ConfigError("feature statistics vector", "expected " + std::to_string(3 * n) +
                                                       " entries (count, sum and sum of "
                                                       "squares for " +
                                                       std::to_string(n) +
                                                       " numeric features), got " +
                                                       std::to_string(v.size()));
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const std::int64_t count = CountFrom(v(i));
    if (count < 0) {
      throw ConfigError("feature statistics vector",
                        "entry " + std::to_string(i) + " (count of '" + stats.names_[k] +
                            "') must be a finite non-negative number, got " + std::to_string(v(i)));
    }
    if (!std::isfinite(v(n + i)) || !std::isfinite(v(2 * n + i))) {
      throw ConfigError("feature statistics vector",
                        "sums of '" + stats.names_[k] + "' must be finite");
    }
    stats.counts_[k] = count;
    stats.sums_[k] = v(n + i);
    stats.sums_of_squares_[k] = v(2 * n + i);
  }
  return stats;
}

}  // namespace fedcrm::data
