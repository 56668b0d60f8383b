// Prometheus metric values: Counter, Gauge and Histogram.
//
// Each object is one time series (one combination of label values). They are
// updated from request handlers on many threads, so every operation is
// thread-safe; Counter and Gauge are lock-free. Families of series and the
// text exposition live in metric_registry.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace fedcrm::runtime {

// A value that only goes up (requests served, bytes received).
class Counter {
 public:
  // `amount` must be >= 0; a negative amount is a programming error and is ignored.
  void Increment(double amount = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down (connections open, epsilon remaining).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Increment(double amount = 1.0);
  void Decrement(double amount = 1.0) { Increment(-amount); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into buckets with fixed upper bounds (le = "less or equal").
class Histogram {
 public:
  // A consistent copy: cumulative_counts[i] counts observations <= upper_bounds[i];
  // the implicit +Inf bucket equals `count`.
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;
    double sum = 0.0;
    uint64_t count = 0;
  };

  // `upper_bounds` must be finite and strictly increasing (the registry checks
  // user-supplied bounds with ValidateBuckets before constructing one).
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);
  Snapshot Collect() const;

 private:
  const std::vector<double> upper_bounds_;
  // A mutex rather than per-bucket atomics so that a scrape never sees a
  // count that disagrees with its buckets.
  mutable std::mutex mu_;
  std::vector<uint64_t> bucket_counts_;  // not cumulative; last one is +Inf
  double sum_ = 0.0;
  uint64_t count_ = 0;
};

// Throws fedcrm::ConfigError naming `metric` unless `bounds` is non-empty,
// finite and strictly increasing.
void ValidateBuckets(const std::string& metric, const std::vector<double>& bounds);

// Latency-style defaults, in seconds: 5 ms .. 10 s.
std::vector<double> DefaultBuckets();
// start, start + width, ... (count bounds).
std::vector<double> LinearBuckets(double start, double width, int count);
// start, start * factor, ... (count bounds).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

}  // namespace fedcrm::runtime
