#include "runtime/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

#include "core/common/error.h"

namespace fedcrm::runtime {

void Counter::Increment(double amount) {
  assert(amount >= 0.0);
  if (!(amount >= 0.0)) return;  // also drops NaN: a counter must never go down
  value_.fetch_add(amount, std::memory_order_relaxed);
}

void Gauge::Increment(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), bucket_counts_(upper_bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  // upper_bound(...) - 1 would be wrong at equality: le means "<=", so the
  // bucket is the first bound >= value.
  const auto bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  std::lock_guard<std::mutex> lock(mu_);
  ++bucket_counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::Collect() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.cumulative_counts.reserve(upper_bounds_.size());
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t running = 0;
  for (size_t i = 0; i < upper_bounds_.size(); ++i) {
    running += bucket_counts_[i];
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_;
  snapshot.count = count_;
  return snapshot;
}

void ValidateBuckets(const std::string& metric, const std::vector<double>& bounds) {
  const std::string where = "histogram '" + metric + "': buckets";
  if (bounds.empty()) throw ConfigError(where, "expected at least one finite upper bound");
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      throw ConfigError(where, "bound " + std::to_string(i) +
                                   " is not finite (+Inf is implicit and must not be listed)");
    }
    if (i > 0 && !(bounds[i] > bounds[i - 1])) {
      throw ConfigError(where, "bounds must be strictly increasing; bound " + std::to_string(i) +
                                   " is not greater than bound " + std::to_string(i - 1));
    }
  }
}

std::vector<double> DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> bounds;
  for (int i = 0; i < count; ++i) bounds.push_back(start + width * i);
  return bounds;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

}  // namespace fedcrm::runtime
