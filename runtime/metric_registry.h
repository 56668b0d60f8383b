// Families of labelled metrics and the Prometheus text exposition (0.0.4).
//
//   Registry registry;
//   auto& requests = registry.AddCounter("fedcrm_http_requests_total",
//                                        "HTTP requests served.", {"method", "code"});
//   requests.WithLabels({"POST", "200"}).Increment();
//   std::string page = registry.Render();  // serve with kExpositionContentType
//
// Output is stable: families sorted by name, series by label values, so that
// scrapes diff cleanly and tests can compare exact text. prometheus-cpp is not
// packaged for Debian 12, hence this small writer.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "runtime/metrics.h"

namespace fedcrm::runtime {

inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// The error WithLabels throws when given the wrong number of label values.
ConfigError LabelCountError(const std::string& metric, size_t expected, size_t got);

// All series of one metric name, keyed by their label values. Thread-safe;
// references returned by WithLabels stay valid until Remove or the registry dies.
template <typename Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {
    if (label_names_.empty()) children_.emplace(std::vector<std::string>{}, make_());
  }

  // The series with these label values (one per label name, in order),
  // created on first use. Throws fedcrm::ConfigError on a count mismatch.
  Metric& WithLabels(const std::vector<std::string>& values);
  // The only series of a family without labels.
  Metric& Get() { return WithLabels({}); }
  // Forgets a series (a silo that left); no-op when absent.
  void Remove(const std::vector<std::string>& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Calls f(label_values, metric) for every series in label-value order.
  template <typename F>
  void ForEach(F&& f) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [values, metric] : children_) f(values, *metric);
  }

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// Owns metric families and renders them. Names follow the Prometheus rules
// (metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]*, no "__"
// prefix, no "le" on histograms); violations and duplicate names throw
// fedcrm::ConfigError. Thread-safe.
class Registry {
 public:
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> upper_bounds,
                                  std::vector<std::string> label_names = {});

  // The text exposition format 0.0.4.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Entry {
    Type type;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };

  // Validates names and reserves every sample name the family will emit.
  void Reserve(const std::string& name, const std::vector<std::string>& label_names, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Entry> families_;
  std::set<std::string> sample_names_;
};

template <typename Metric>
Metric& Family<Metric>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw LabelCountError(name_, label_names_.size(), values.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, make_()).first;
  return *it->second;
}

template <typename Metric>
void Family<Metric>::Remove(const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  children_.erase(values);
}

}  // namespace fedcrm::runtime
