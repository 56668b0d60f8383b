// fedcrm datagen: synthetic CRM data for one region, or a task's schema.
//
//   fedcrm datagen --task T --region R [--rows N] [--seed S] [--out F]
//   fedcrm datagen --task T --print-schema [--format yaml|json]
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/common/error.h"
#include "core/data/synthetic/generator.h"

namespace fedcrm::cli {
namespace {

namespace synthetic = data::synthetic;

constexpr std::uint64_t kDefaultSeed = 1;

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string Usage() {
  return "Usage: fedcrm datagen --task TASK --region REGION [--rows N] [--seed S] [--out FILE]\n"
         "       fedcrm datagen --task TASK --print-schema [--format yaml|json]\n"
         "\n"
         "Writes one region's synthetic CRM data as CSV: an id column, the task's\n"
         "features and its label. The same flags give the same bytes; regions differ\n"
         "in size, label rate and in what predicts the label (docs/data.md).\n"
         "\n"
         "Flags:\n"
         "  --task TASK      " +
         Join(synthetic::Tasks(), ", ") +
         "\n"
         "  --region REGION  " +
         Join(synthetic::Regions("churn"), ", ") +
         "\n"
         "  --rows N         records to write (default: the region's demo size)\n"
         "  --seed S         random seed, an integer >= 0 (default 1)\n"
         "  --out FILE       output file; '-' or absent writes to stdout\n"
         "  --print-schema   print the task's feature schema instead of data\n"
         "  --format F       the schema's format: yaml (default) or json\n"
         "  --help           show this help\n";
}

// Re-labels a generator error with the flag that carried the bad value.
template <typename Fn>
auto WithFlag(const std::string& flag, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const ConfigError& e) {
    throw ConfigError("flag --" + flag, e.problem());
  }
}

// ---- The schema as YAML, in the flow style of examples/schemas/. ----

// Words YAML 1.1 readers take for booleans or null; quoted so that every
// reader sees a string.
bool LooksLikeYamlKeyword(const std::string& s) {
  static const std::set<std::string> kKeywords = {"y",   "n",    "yes",   "no",   "on",
                                                  "off", "true", "false", "null", "~"};
  std::string lower;
  for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return kKeywords.count(lower) > 0;
}

std::string YamlScalar(const nlohmann::json& value) {
  if (!value.is_string()) return value.dump();
  const std::string s = value.get<std::string>();
  bool plain = !s.empty() && !LooksLikeYamlKeyword(s) &&
               ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_');
  for (char c : s) {
    plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-' || c == '.';
  }
  // A JSON string is a valid YAML double-quoted scalar.
  return plain ? s : value.dump();
}

std::string YamlFlow(const nlohmann::json& value) {
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const nlohmann::json& item : value) items.push_back(YamlFlow(item));
    return "[" + Join(items, ", ") + "]";
  }
  if (!value.is_object()) return YamlScalar(value);
  // nlohmann::json sorts keys; people read "name" and "type" first.
  static const std::vector<std::string> kKeyOrder = {
      "name",    "type",      "positive",   "negative", "classes",
      "missing", "transform", "vocabulary", "unknown",  "buckets"};
  std::vector<std::string> keys;
  for (const std::string& key : kKeyOrder) {
    if (value.contains(key)) keys.push_back(key);
  }
  for (const auto& [key, unused] : value.items()) {
    if (std::find(kKeyOrder.begin(), kKeyOrder.end(), key) == kKeyOrder.end()) keys.push_back(key);
  }
  std::vector<std::string> items;
  items.reserve(keys.size());
  for (const std::string& key : keys) items.push_back(key + ": " + YamlFlow(value.at(key)));
  return "{" + Join(items, ", ") + "}";
}

std::string SchemaYaml(const std::string& task, const nlohmann::json& schema) {
  std::string out = "# Feature schema of the synthetic '" + task + "' data (docs/data.md).\n" +
                    "# Printed by: fedcrm datagen --task " + task + " --print-schema\n";
  out += "label: " + YamlFlow(schema.at("label")) + "\n";
  out += "features:\n";
  for (const nlohmann::json& feature : schema.at("features")) {
    out += "  - " + YamlFlow(feature) + "\n";
  }
  return out;
}

// ---- Data. ----

std::string Percent(std::int64_t count, std::int64_t total) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%",
                total == 0 ? 0.0 : 100.0 * static_cast<double>(count) / static_cast<double>(total));
  return buffer;
}

// "churned=yes 28.6%" for binary tasks, every class's share otherwise.
std::string LabelSummary(const nlohmann::json& label, const synthetic::GenerationSummary& summary) {
  const std::string name = label.at("name");
  auto count_of = [&](const std::string& value) {
    auto it = summary.label_counts.find(value);
    return it == summary.label_counts.end() ? std::int64_t{0} : it->second;
  };
  if (label.contains("positive")) {
    const std::string positive = label.at("positive");
    return name + "=" + positive + " " + Percent(count_of(positive), summary.rows);
  }
  std::vector<std::string> shares;
  for (const std::string value : label.at("classes")) {
    shares.push_back(value + " " + Percent(count_of(value), summary.rows));
  }
  return name + ": " + Join(shares, ", ");
}

int WriteData(const Flags& flags, const std::string& task) {
  synthetic::GeneratorOptions options;
  options.task = task;
  options.region = flags.String("region");
  WithFlag("region", [&] { return synthetic::DefaultRows(task, options.region); });
  options.rows = flags.Int("rows", synthetic::DefaultRows(task, options.region));
  if (options.rows < 0) {
    throw ConfigError("flag --rows", "expected an integer >= 0, got " + flags.String("rows"));
  }
  const std::int64_t seed = flags.Int("seed", kDefaultSeed);
  if (seed < 0) {
    throw ConfigError("flag --seed", "expected an integer >= 0, got " + flags.String("seed"));
  }
  options.seed = static_cast<std::uint64_t>(seed);

  const std::string path = flags.String("out", "-");
  synthetic::GenerationSummary summary;
  if (path == "-") {
    synthetic::GenerateCsv(options, std::cout, &summary);
    std::cout.flush();
  } else {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) {
      throw ConfigError("flag --out",
                        "cannot open '" + path + "' for writing: " + std::strerror(errno));
    }
    synthetic::GenerateCsv(options, file, &summary);
    file.close();
    if (!file) throw ConfigError("flag --out", "writing '" + path + "' failed");
  }
  std::cerr << "fedcrm datagen: wrote " << summary.rows << " " << task << " rows for region "
            << options.region << " (seed " << options.seed << ") to "
            << (path == "-" ? "stdout" : path) << "; "
            << LabelSummary(synthetic::DefaultSchema(task).at("label"), summary) << "\n";
  return 0;
}

}  // namespace

int RunDatagen(const Args& args) {
  Flags flags({"task", "region", "rows", "seed", "out", "format"}, {"print-schema", "help"});
  flags.Parse(args);
  if (flags.Bool("help")) {
    std::cout << Usage();
    return 0;
  }
  if (!flags.positional().empty()) {
    throw ConfigError("fedcrm datagen", "unexpected argument '" + flags.positional()[0] +
                                            "'; expected only flags (see --help)");
  }
  const std::string task = flags.String("task");
  const nlohmann::json schema = WithFlag("task", [&] { return synthetic::DefaultSchema(task); });

  if (flags.Bool("print-schema")) {
    const std::string format = flags.String("format", "yaml");
    if (format == "yaml") {
      std::cout << SchemaYaml(task, schema);
    } else if (format == "json") {
      std::cout << schema.dump(2) << "\n";
    } else {
      throw ConfigError("flag --format", "expected yaml or json, got '" + format + "'");
    }
    return 0;
  }
  if (flags.Has("format")) {
    throw ConfigError("flag --format", "only applies with --print-schema");
  }
  return WriteData(flags, task);
}

}  // namespace fedcrm::cli
