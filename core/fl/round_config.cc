#include "core/fl/round_config.h"

#include <cmath>
#include <set>

#include "core/common/error.h"
#include "core/data/encoder.h"
#include "core/data/feature_schema.h"
#include "core/secagg/quantization.h"

namespace fedcrm::fl {
namespace {

constexpr const char* kWhere = "round config";

ConfigError FieldError(const std::string& field, const std::string& problem) {
  return ConfigError(std::string(kWhere) + ": " + field, problem);
}

const nlohmann::json& Object(const nlohmann::json& parent, const char* key,
                             const std::string& path) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!parent.contains(key) || parent.at(key).is_null()) return kEmpty;
  const auto& value = parent.at(key);
  if (!value.is_object()) throw FieldError(path + key, "expected an object");
  return value;
}

double Number(const nlohmann::json& parent, const char* key, const std::string& path,
              double fallback, double min, double max, bool min_open = false) {
  if (!parent.contains(key) || parent.at(key).is_null()) return fallback;
  const auto& value = parent.at(key);
  if (!value.is_number()) throw FieldError(path + key, "expected a number, got " + value.dump());
  const double x = value.get<double>();
  if (!std::isfinite(x) || (min_open ? x <= min : x < min) || x > max) {
    throw FieldError(path + key, "out of range, got " + value.dump());
  }
  return x;
}

int64_t Integer(const nlohmann::json& parent, const char* key, const std::string& path,
                int64_t fallback, int64_t min, int64_t max) {
  if (!parent.contains(key) || parent.at(key).is_null()) return fallback;
  const auto& value = parent.at(key);
  if (!value.is_number_integer()) {
    throw FieldError(path + key, "expected an integer, got " + value.dump());
  }
  const int64_t x = value.get<int64_t>();
  if (x < min || x > max) throw FieldError(path + key, "out of range, got " + value.dump());
  return x;
}

std::string String(const nlohmann::json& parent, const char* key, const std::string& path,
                   const std::string& fallback) {
  if (!parent.contains(key) || parent.at(key).is_null()) return fallback;
  const auto& value = parent.at(key);
  if (!value.is_string()) throw FieldError(path + key, "expected a string, got " + value.dump());
  return value.get<std::string>();
}

void ParseModel(const nlohmann::json& json, RoundConfig* config) {
  const auto& model = Object(json, "model", "");
  config->model.type = String(model, "type", "model.", "logistic");
  config->model.l2 = Number(model, "l2", "model.", 0.0, 0.0, 1e3);
  if (model.contains("hiddenLayers") && model.at("hiddenLayers").is_array()) {
    for (const auto& width : model.at("hiddenLayers")) {
      if (!width.is_number_integer() || width.get<int>() < 1) {
        throw FieldError("model.hiddenLayers", "expected positive integers");
      }
      config->model.hidden_layers.push_back(width.get<int>());
    }
  }
  const data::FeatureSchema schema =
      data::FeatureSchema::FromJson(config->schema, std::string(kWhere) + ": schema");
  config->model.input_dim = data::EncodedWidth(schema);
  config->model.num_classes = schema.num_classes();
  if (config->model.type == "logistic" && config->model.num_classes > 2) {
    config->model.type = "softmax";
  }
  model::MakeModel(config->model, 0);  // validates the spec
}

void ParseTraining(const nlohmann::json& json, RoundConfig* config) {
  const auto& t = Object(json, "training", "");
  auto& out = config->training;
  out.steps = Integer(t, "localSteps", "training.", 10, 1, 1'000'000);
  out.learning_rate = Number(t, "learningRate", "training.", 0.1, 0.0, 100.0, true);
  out.batch_size = Integer(t, "batchSize", "training.", 64, 0, 1 << 24);
  out.momentum = Number(t, "momentum", "training.", 0.0, 0.0, 0.999);
  out.proximal_mu = Number(t, "proximalMu", "training.", 0.0, 0.0, 1e3);
  const auto& p = json.contains("privacy") ? json.at("privacy") : nlohmann::json();
  if (!p.is_null()) {
    if (!p.is_object()) throw FieldError("privacy", "expected an object or null");
    train::DpSgdConfig dp;
    dp.noise_multiplier = Number(p, "noiseMultiplier", "privacy.", 1.0, 0.0, 1e4, true);
    dp.clip_norm = Number(p, "clipNorm", "privacy.", 1.0, 0.0, 1e6, true);
    dp.sampling_rate = Number(p, "samplingRate", "privacy.", 0.01, 0.0, 1.0, true);
    config->privacy_delta = Number(p, "delta", "privacy.", 1e-5, 0.0, 1.0, true);
    if (config->privacy_delta >= 1.0) throw FieldError("privacy.delta", "must be below 1");
    out.dp = dp;
  }
}

void ParseAggregation(const nlohmann::json& json, RoundConfig* config) {
  const auto& a = Object(json, "aggregation", "");
  const std::string weighting = String(a, "weighting", "aggregation.", "records");
  try {
    config->weighting = ParseWeighting(weighting);
  } catch (const ConfigError&) {
    throw FieldError("aggregation.weighting",
                     "expected records or uniform, got '" + weighting + "'");
  }
  const auto& o = Object(a, "serverOptimizer", "aggregation.");
  auto& out = config->server_optimizer;
  const std::string path = "aggregation.serverOptimizer.";
  out.type = String(o, "type", path, "fedavg");
  out.learning_rate = Number(o, "learningRate", path, out.learning_rate, 0.0, 100.0, true);
  out.beta1 = Number(o, "beta1", path, out.beta1, 0.0, 1.0);
  out.beta2 = Number(o, "beta2", path, out.beta2, 0.0, 1.0);
  out.tau = Number(o, "tau", path, out.tau, 0.0, 10.0, true);
  ValidateServerOptimizerConfig(out);
}

void ParseSecureAggregation(const nlohmann::json& json, RoundConfig* config) {
  const auto& s = Object(json, "secureAggregation", "");
  const std::string path = "secureAggregation.";
  config->threshold = static_cast<int>(Integer(s, "threshold", path, 0, 0, 1 << 20));
  config->quantization.modulus_bits = static_cast<int>(Integer(s, "modulusBits", path, 32, 32, 64));
  if (config->quantization.modulus_bits != 32 && config->quantization.modulus_bits != 64) {
    throw FieldError(path + "modulusBits", "expected 32 or 64");
  }
  const auto& q = Object(s, "quantization", path);
  config->quantization.clip = Number(q, "clip", path + "quantization.", 8.0, 0.0, 1e9, true);
  config->quantization.levels_bits =
      static_cast<int>(Integer(q, "levelsBits", path + "quantization.", 16, 1, 52));
  const auto& g = Object(s, "graph", path);
  config->graph.complete_up_to =
      static_cast<int>(Integer(g, "completeUpTo", path + "graph.", 32, 1, 1 << 20));
  config->graph.degree = static_cast<int>(Integer(g, "degree", path + "graph.", 0, 0, 1 << 20));
}

void ParseSilos(const nlohmann::json& json, RoundConfig* config) {
  if (!json.contains("silos") || !json.at("silos").is_array() || json.at("silos").empty()) {
    throw FieldError("silos", "expected a non-empty list");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < json.at("silos").size(); ++i) {
    const auto& s = json.at("silos")[i];
    const std::string path = "silos[" + std::to_string(i) + "].";
    if (!s.is_object()) throw FieldError("silos[" + std::to_string(i) + "]", "expected an object");
    RoundSilo silo;
    silo.name = String(s, "name", path, "");
    if (silo.name.empty() || silo.name.size() > 253) {
      throw FieldError(path + "name", "expected 1 to 253 characters");
    }
    if (!names.insert(silo.name).second)
      throw FieldError(path + "name", "duplicate '" + silo.name + "'");
    silo.epsilon_budget = Number(s, "epsilonBudget", path, 0.0, 0.0, 1e6);
    silo.delta = Number(s, "delta", path, 1e-5, 0.0, 1.0, true);
    config->silos.push_back(silo);
  }
}

}  // namespace

std::vector<std::string> RoundConfig::Roster() const {
  std::vector<std::string> out;
  for (const auto& silo : silos) out.push_back(silo.name);
  return out;
}

RoundConfig ParseRoundConfig(const nlohmann::json& json, const std::string& round_id) {
  if (!json.is_object()) throw ConfigError(kWhere, "expected a JSON object");
  RoundConfig config;
  config.round_id = round_id;
  config.model_line = String(json, "modelLine", "", round_id);
  config.task = String(json, "task", "", "");
  if (!json.contains("schema") || !json.at("schema").is_object()) {
    throw FieldError("schema", "expected the feature schema object");
  }
  config.schema = json.at("schema");
  if (json.contains("baseModel") && !json.at("baseModel").is_null()) {
    config.base_model = String(json, "baseModel", "", "");
  }
  config.seed = static_cast<uint64_t>(Integer(json, "seed", "", 1, 0, INT64_MAX));
  ParseModel(json, &config);
  ParseTraining(json, &config);
  ParseAggregation(json, &config);
  ParseSecureAggregation(json, &config);
  ParseSilos(json, &config);
  secagg::ValidateQuantization(config.quantization, static_cast<int64_t>(config.silos.size()));
  const auto& d = Object(json, "deadlines", "");
  config.phase_seconds = static_cast<int>(Integer(d, "phaseSeconds", "deadlines.", 120, 1, 86400));
  config.masked_input_seconds =
      static_cast<int>(Integer(d, "maskedInputSeconds", "deadlines.", 900, 1, int64_t{7} * 86400));
  const auto& evaluation = Object(json, "evaluation", "");
  config.evaluation_holdout = Number(evaluation, "holdoutFraction", "evaluation.", 0.0, 0.0, 0.9);
  return config;
}

nlohmann::json RoundConfigToJson(const RoundConfig& c) {
  nlohmann::json silos = nlohmann::json::array();
  for (const auto& s : c.silos) {
    silos.push_back({{"name", s.name}, {"epsilonBudget", s.epsilon_budget}, {"delta", s.delta}});
  }
  nlohmann::json privacy = nullptr;
  if (c.training.dp) {
    privacy = {{"noiseMultiplier", c.training.dp->noise_multiplier},
               {"clipNorm", c.training.dp->clip_norm},
               {"samplingRate", c.training.dp->sampling_rate},
               {"delta", c.privacy_delta}};
  }
  nlohmann::json out = {
      {"modelLine", c.model_line},
      {"task", c.task},
      {"schema", c.schema},
      {"model",
       {{"type", c.model.type}, {"l2", c.model.l2}, {"hiddenLayers", c.model.hidden_layers}}},
      {"baseModel", c.base_model ? nlohmann::json(*c.base_model) : nlohmann::json(nullptr)},
      {"seed", c.seed},
      {"training",
       {{"localSteps", c.training.steps},
        {"learningRate", c.training.learning_rate},
        {"batchSize", c.training.batch_size},
        {"momentum", c.training.momentum},
        {"proximalMu", c.training.proximal_mu}}},
      {"privacy", privacy},
      {"aggregation",
       {{"weighting", WeightingName(c.weighting)},
        {"serverOptimizer",
         {{"type", c.server_optimizer.type},
          {"learningRate", c.server_optimizer.learning_rate},
          {"beta1", c.server_optimizer.beta1},
          {"beta2", c.server_optimizer.beta2},
          {"tau", c.server_optimizer.tau}}}}},
      {"secureAggregation",
       {{"threshold", c.threshold},
        {"modulusBits", c.quantization.modulus_bits},
        {"quantization",
         {{"clip", c.quantization.clip}, {"levelsBits", c.quantization.levels_bits}}},
        {"graph", {{"completeUpTo", c.graph.complete_up_to}, {"degree", c.graph.degree}}}}},
      {"silos", silos},
      {"deadlines",
       {{"phaseSeconds", c.phase_seconds}, {"maskedInputSeconds", c.masked_input_seconds}}}};
  // Only when set, so the canonical form of a round without evaluation (and
  // the release-log records written before the field existed) stays the same.
  if (c.evaluation_holdout > 0) out["evaluation"] = {{"holdoutFraction", c.evaluation_holdout}};
  return out;
}

}  // namespace fedcrm::fl
