#include "core/sim/simulation_config.h"

#include <cmath>
#include <set>

#include "core/common/error.h"
#include "core/common/yaml_json.h"

namespace fedcrm::sim {
namespace {

// A JSON object together with its path in the document, so that every error
// names the exact field: "churn.yaml: spec.round.privacy.clipNorm: ...".
class Node {
 public:
  Node(const nlohmann::json& value, std::string source, std::string path)
      : value_(value), source_(std::move(source)), path_(std::move(path)) {
    if (!value_.is_object()) Fail("expected a mapping");
  }

  bool Has(const std::string& key) const {
    return value_.contains(key) && !value_.at(key).is_null();
  }

  Node Child(const std::string& key) const {
    if (!Has(key)) FailAt(key, "is required");
    return Node(value_.at(key), source_, Join(key));
  }

  std::optional<Node> OptionalChild(const std::string& key) const {
    if (!Has(key)) return std::nullopt;
    return Child(key);
  }

  const nlohmann::json& Raw(const std::string& key) const {
    if (!Has(key)) FailAt(key, "is required");
    return value_.at(key);
  }

  std::string String(const std::string& key, std::optional<std::string> fallback = {}) const {
    if (!Has(key)) {
      if (fallback) return *fallback;
      FailAt(key, "is required");
    }
    const auto& v = value_.at(key);
    if (!v.is_string()) FailAt(key, "expected a string, got " + v.dump());
    return v.get<std::string>();
  }

  // A number within [min, max] (open at either end when the flag says so).
  double Number(const std::string& key, std::optional<double> fallback, double min, double max,
                bool min_open = false) const {
    if (!Has(key)) {
      if (fallback) return *fallback;
      FailAt(key, "is required");
    }
    const auto& v = value_.at(key);
    if (!v.is_number()) FailAt(key, "expected a number, got " + v.dump());
    const double x = v.get<double>();
    const bool low_ok = min_open ? x > min : x >= min;
    if (!std::isfinite(x) || !low_ok || x > max) {
      FailAt(key, "must be in " + std::string(min_open ? "(" : "[") + Format(min) + ", " +
                      Format(max) + "], got " + v.dump());
    }
    return x;
  }

  int64_t Integer(const std::string& key, std::optional<int64_t> fallback, int64_t min,
                  int64_t max) const {
    if (!Has(key)) {
      if (fallback) return *fallback;
      FailAt(key, "is required");
    }
    const auto& v = value_.at(key);
    if (!v.is_number_integer()) FailAt(key, "expected an integer, got " + v.dump());
    const int64_t x = v.get<int64_t>();
    if (x < min || x > max) {
      FailAt(key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                      v.dump());
    }
    return x;
  }

  [[noreturn]] void Fail(const std::string& problem) const {
    throw ConfigError(source_ + ": " + path_, problem);
  }
  [[noreturn]] void FailAt(const std::string& key, const std::string& problem) const {
    throw ConfigError(source_ + ": " + Join(key), problem);
  }

  const std::string& source() const { return source_; }
  const std::string& path() const { return path_; }

 private:
  std::string Join(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  static std::string Format(double x) {
    std::ostringstream out;
    out << x;
    return out.str();
  }

  const nlohmann::json& value_;
  std::string source_;
  std::string path_;
};

model::ModelSpec ParseModel(const Node& node) {
  model::ModelSpec spec;
  spec.type = node.String("type", "logistic");
  if (spec.type != "logistic" && spec.type != "softmax" && spec.type != "mlp") {
    node.FailAt("type", "expected one of logistic, softmax, mlp, got '" + spec.type + "'");
  }
  spec.l2 = node.Number("l2", 0.0, 0.0, 1e3);
  if (node.Has("hiddenLayers")) {
    const auto& layers = node.Raw("hiddenLayers");
    if (!layers.is_array()) node.FailAt("hiddenLayers", "expected a list of layer widths");
    for (const auto& width : layers) {
      if (!width.is_number_integer() || width.get<int>() < 1 || width.get<int>() > 4096) {
        node.FailAt("hiddenLayers", "expected widths in [1, 4096], got " + width.dump());
      }
      spec.hidden_layers.push_back(width.get<int>());
    }
  }
  return spec;
}

train::LocalTrainingConfig ParseTraining(const Node& node) {
  train::LocalTrainingConfig config;
  config.steps = node.Integer("localSteps", 10, 1, 100000);
  config.learning_rate = node.Number("learningRate", 0.1, 0.0, 100.0, /*min_open=*/true);
  config.batch_size = node.Integer("batchSize", 64, 0, 1 << 20);
  config.momentum = node.Number("momentum", 0.0, 0.0, 0.999);
  config.proximal_mu = node.Number("proximalMu", 0.0, 0.0, 1e3);
  return config;
}

PrivacyConfig ParsePrivacy(const Node& node) {
  PrivacyConfig config;
  if (node.Has("noiseMultiplier") &&
      !(node.Raw("noiseMultiplier").is_string() && node.String("noiseMultiplier") == "auto")) {
    config.noise_multiplier = node.Number("noiseMultiplier", {}, 0.0, 1e4, /*min_open=*/true);
  }
  config.clip_norm = node.Number("clipNorm", 1.0, 0.0, 1e6, /*min_open=*/true);
  config.sampling_rate = node.Number("samplingRate", 0.01, 0.0, 1.0, /*min_open=*/true);
  config.delta = node.Number("delta", 1e-5, 0.0, 1.0, /*min_open=*/true);
  if (config.delta >= 1.0) node.FailAt("delta", "must be below 1");
  return config;
}

void ParseAggregation(const Node& node, SimulationConfig* config) {
  const std::string weighting = node.String("weighting", "records");
  try {
    config->weighting = fl::ParseWeighting(weighting);
  } catch (const ConfigError& e) {
    node.FailAt("weighting", "expected records or uniform, got '" + weighting + "'");
  }
  if (auto optimizer = node.OptionalChild("serverOptimizer")) {
    auto& out = config->server_optimizer;
    out.type = optimizer->String("type", "fedavg");
    if (out.type != "fedavg" && out.type != "fedadam" && out.type != "fedyogi") {
      optimizer->FailAt("type", "expected one of fedavg, fedadam, fedyogi, got '" + out.type + "'");
    }
    out.learning_rate = optimizer->Number("learningRate", out.learning_rate, 0.0, 100.0, true);
    out.beta1 = optimizer->Number("beta1", out.beta1, 0.0, 1.0);
    out.beta2 = optimizer->Number("beta2", out.beta2, 0.0, 1.0);
    out.tau = optimizer->Number("tau", out.tau, 0.0, 10.0, true);
  }
}

SiloConfig ParseSilo(const Node& node, const std::string& default_region) {
  SiloConfig silo;
  silo.name = node.String("name");
  silo.region = node.String("region", default_region);
  silo.jurisdiction = node.String("jurisdiction", "");
  const Node data = node.Child("data");
  if (data.Has("path")) {
    silo.data.path = data.String("path");
  } else if (auto generate = data.OptionalChild("generate")) {
    silo.data.generate_rows = generate->Integer("rows", 0, 0, 10'000'000);
    silo.data.generate_seed = static_cast<uint64_t>(generate->Integer("seed", 1, 0, INT64_MAX));
  } else {
    data.Fail("expected 'path' (a CSV file) or 'generate' (synthetic rows)");
  }
  const Node budget = node.Child("privacyBudget");
  silo.epsilon_budget = budget.Number("epsilon", {}, 0.0, 1e3, /*min_open=*/true);
  silo.delta_budget = budget.Number("delta", 1e-5, 0.0, 1.0, /*min_open=*/true);
  if (silo.delta_budget >= 1.0) budget.FailAt("delta", "must be below 1");
  return silo;
}

}  // namespace

SimulationConfig ParseSimulationConfig(const nlohmann::json& document, const std::string& source) {
  const Node root(document, source, "");
  SimulationConfig config;
  config.source = source;
  if (root.Has("kind") && root.String("kind") != "Simulation") {
    root.FailAt("kind", "expected Simulation, got '" + root.String("kind") + "'");
  }
  if (auto metadata = root.OptionalChild("metadata")) config.name = metadata->String("name", "");
  const Node spec = root.Child("spec");
  config.rounds = static_cast<int>(spec.Integer("rounds", 20, 1, 10000));
  config.test_fraction = spec.Number("testFraction", 0.2, 0.0, 0.9, /*min_open=*/true);
  config.seed = static_cast<uint64_t>(spec.Integer("seed", 1, 0, INT64_MAX));

  const Node round = spec.Child("round");
  config.task = round.String("task");
  config.schema = round.Raw("schema");
  if (!config.schema.is_object()) round.FailAt("schema", "expected a mapping");
  config.model = round.Has("model") ? ParseModel(round.Child("model")) : model::ModelSpec{};
  config.training =
      round.Has("training") ? ParseTraining(round.Child("training")) : train::LocalTrainingConfig{};
  config.privacy = round.Has("privacy") ? ParsePrivacy(round.Child("privacy")) : PrivacyConfig{};
  if (round.Has("aggregation")) ParseAggregation(round.Child("aggregation"), &config);

  const auto& silos = spec.Raw("silos");
  if (!silos.is_array() || silos.empty()) {
    spec.FailAt("silos", "expected a non-empty list of silos");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < silos.size(); ++i) {
    const Node silo_node(silos[i], source, "spec.silos[" + std::to_string(i) + "]");
    SiloConfig silo = ParseSilo(silo_node, /*default_region=*/"");
    if (silo.region.empty()) silo.region = silo.name;
    if (!names.insert(silo.name).second) {
      silo_node.FailAt("name", "duplicate silo name '" + silo.name + "'");
    }
    config.silos.push_back(std::move(silo));
  }
  return config;
}

SimulationConfig LoadSimulationConfig(const std::string& path) {
  return ParseSimulationConfig(ReadYamlFile(path), path);
}

}  // namespace fedcrm::sim
