#include "runtime/metric_registry.h"

#include <charconv>
#include <cmath>
#include <locale>
#include <sstream>

namespace fedcrm::runtime {
namespace {

bool IsMetricNameChar(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

bool IsLabelNameChar(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return alpha || (!first && c >= '0' && c <= '9');
}

void CheckMetricName(const std::string& name) {
  bool ok = !name.empty();
  for (size_t i = 0; ok && i < name.size(); ++i) ok = IsMetricNameChar(name[i], i == 0);
  if (!ok) {
    throw ConfigError("metric '" + name + "'", "expected a name matching [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
}

void CheckLabelNames(const std::string& metric, const std::vector<std::string>& labels,
                     bool histogram) {
  std::set<std::string> seen;
  for (const std::string& label : labels) {
    const std::string where = "metric '" + metric + "': label '" + label + "'";
    bool ok = !label.empty() && label.rfind("__", 0) != 0;
    for (size_t i = 0; ok && i < label.size(); ++i) ok = IsLabelNameChar(label[i], i == 0);
    if (!ok) {
      throw ConfigError(where, "expected a name matching [a-zA-Z_][a-zA-Z0-9_]* not starting '__'");
    }
    if (histogram && label == "le") throw ConfigError(where, "'le' is reserved for buckets");
    if (!seen.insert(label).second) throw ConfigError(where, "label listed twice");
  }
}

// Go's strconv.ParseFloat reads what std::to_chars writes, plus the special
// spellings below.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// The exposition format escapes backslash and newline in help text, and
// additionally the double quote in label values.
std::string Escape(const std::string& text, bool quotes) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quotes && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional trailing le="..."; empty when there are no labels.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& le = "") {
  if (names.empty() && le.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i] + "=\"" + Escape(values[i], /*quotes=*/true) + '"';
  }
  if (!le.empty()) {
    if (!names.empty()) out += ',';
    out += "le=\"" + le + '"';
  }
  return out + '}';
}

void WriteHeader(std::ostringstream& out, const std::string& name, const std::string& help,
                 const char* type) {
  out << "# HELP " << name << ' ' << Escape(help, /*quotes=*/false) << '\n';
  out << "# TYPE " << name << ' ' << type << '\n';
}

template <typename Metric>
void WriteSimple(std::ostringstream& out, const Family<Metric>& family, const char* type) {
  WriteHeader(out, family.name(), family.help(), type);
  family.ForEach([&](const std::vector<std::string>& values, const Metric& metric) {
    out << family.name() << LabelSet(family.label_names(), values) << ' '
        << FormatValue(metric.Value()) << '\n';
  });
}

void WriteHistogram(std::ostringstream& out, const Family<Histogram>& family) {
  WriteHeader(out, family.name(), family.help(), "histogram");
  const auto& names = family.label_names();
  family.ForEach([&](const std::vector<std::string>& values, const Histogram& histogram) {
    const Histogram::Snapshot s = histogram.Collect();
    for (size_t i = 0; i < s.upper_bounds.size(); ++i) {
      out << family.name() << "_bucket" << LabelSet(names, values, FormatValue(s.upper_bounds[i]))
          << ' ' << s.cumulative_counts[i] << '\n';
    }
    out << family.name() << "_bucket" << LabelSet(names, values, "+Inf") << ' ' << s.count << '\n';
    out << family.name() << "_sum" << LabelSet(names, values) << ' ' << FormatValue(s.sum) << '\n';
    out << family.name() << "_count" << LabelSet(names, values) << ' ' << s.count << '\n';
  });
}

}  // namespace

ConfigError LabelCountError(const std::string& metric, size_t expected, size_t got) {
  return ConfigError("metric '" + metric + "'", "expected " + std::to_string(expected) +
                                                    " label values, got " + std::to_string(got));
}

void Registry::Reserve(const std::string& name, const std::vector<std::string>& label_names,
                       Type type) {
  CheckMetricName(name);
  CheckLabelNames(name, label_names, type == Type::kHistogram);
  std::vector<std::string> samples = {name};
  if (type == Type::kHistogram) {
    samples = {name, name + "_bucket", name + "_sum", name + "_count"};
  }
  for (const std::string& sample : samples) {
    if (sample_names_.count(sample) > 0) {
      throw ConfigError("metric '" + name + "'",
                        "sample name '" + sample + "' is already registered");
    }
  }
  sample_names_.insert(samples.begin(), samples.end());
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  Reserve(name, label_names, Type::kCounter);
  Entry& entry = families_[name];
  entry.type = Type::kCounter;
  entry.counter = std::make_unique<Family<Counter>>(name, help, std::move(label_names),
                                                    [] { return std::make_unique<Counter>(); });
  return *entry.counter;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  Reserve(name, label_names, Type::kGauge);
  Entry& entry = families_[name];
  entry.type = Type::kGauge;
  entry.gauge = std::make_unique<Family<Gauge>>(name, help, std::move(label_names),
                                                [] { return std::make_unique<Gauge>(); });
  return *entry.gauge;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<double> upper_bounds,
                                          std::vector<std::string> label_names) {
  ValidateBuckets(name, upper_bounds);
  std::lock_guard<std::mutex> lock(mu_);
  Reserve(name, label_names, Type::kHistogram);
  Entry& entry = families_[name];
  entry.type = Type::kHistogram;
  entry.histogram = std::make_unique<Family<Histogram>>(
      name, help, std::move(label_names),
      [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); });
  return *entry.histogram;
}

std::string Registry::Render() const {
  std::ostringstream out;
  out.imbue(std::locale::classic());  // no thousands separators, whatever the process locale
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, entry] : families_) {
    switch (entry.type) {
      case Type::kCounter:
        WriteSimple(out, *entry.counter, "counter");
        break;
      case Type::kGauge:
        WriteSimple(out, *entry.gauge, "gauge");
        break;
      case Type::kHistogram:
        WriteHistogram(out, *entry.histogram);
        break;
    }
  }
  return out.str();
}

}  // namespace fedcrm::runtime
