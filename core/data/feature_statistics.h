// Sufficient statistics of the numeric features: count of non-missing
// values, sum and sum of squares, per feature.
//
// Each silo computes these on its own table; the federation sums them (under
// secure aggregation, hence the flat-vector form) and every silo standardizes
// with the summed statistics. A silo never standardizes with its own: the
// model's inputs must mean the same thing in every region.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace fedcrm::data {

class FeatureStatistics {
 public:
  FeatureStatistics() = default;
  // All-zero statistics for the features `names` (in FeatureSchema's
  // NumericFeatureNames() order).
  explicit FeatureStatistics(std::vector<std::string> names);

  Eigen::Index size() const { return static_cast<Eigen::Index>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }

  // Records one non-missing value of feature i.
  void Add(Eigen::Index i, double value);

  // Sums `other` into this. Throws fedcrm::ConfigError when the two describe
  // different features.
  void Merge(const FeatureStatistics& other);
  FeatureStatistics& operator+=(const FeatureStatistics& other) {
    Merge(other);
    return *this;
  }

  std::int64_t Count(Eigen::Index i) const { return counts_[static_cast<std::size_t>(i)]; }
  double Sum(Eigen::Index i) const { return sums_[static_cast<std::size_t>(i)]; }
  double SumOfSquares(Eigen::Index i) const {
    return sums_of_squares_[static_cast<std::size_t>(i)];
  }

  // 0 when the feature has no values anywhere.
  double Mean(Eigen::Index i) const;
  // Population standard deviation; 1 for a feature without variance (or
  // without values), so that standardizing it yields 0 instead of dividing
  // by zero.
  double StdDev(Eigen::Index i) const;

  // {"features": [{"name", "count", "sum", "sum_of_squares"}, ...]}
  nlohmann::json ToJson() const;
  static FeatureStatistics FromJson(const nlohmann::json& json, const std::string& where);

  // [count_0..count_k-1, sum_0..sum_k-1, sumsq_0..sumsq_k-1]: the vector a
  // silo contributes to the secure sum.
  Eigen::VectorXd ToVector() const;
  // Inverse of ToVector. Counts are rounded to the nearest integer (secure
  // aggregation's fixed-point arithmetic may perturb them slightly). Throws
  // fedcrm::ConfigError for a wrong length or non-finite or negative counts.
  static FeatureStatistics FromVector(std::vector<std::string> names, const Eigen::VectorXd& v);

  bool operator==(const FeatureStatistics&) const = default;

 private:
  std::vector<std::string> names_;
  std::vector<std::int64_t> counts_;
  std::vector<double> sums_;
  std::vector<double> sums_of_squares_;
};

}  // namespace fedcrm::data
