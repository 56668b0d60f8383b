#include "core/model/model_card.h"

#include <cmath>
#include <limits>
#include <set>

#include "core/common/error.h"
#include "core/model/model_factory.h"

namespace fedcrm::model {
namespace {

using nlohmann::json;

void CheckKeys(const json& object, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    if (allowed.count(key) == 0) {
      std::string names;
      for (const std::string& name : allowed) names += (names.empty() ? "" : ", ") + name;
      throw ConfigError(where + "." + key, "unknown field; expected one of " + names);
    }
  }
}

// A short rendering of a value for an error message.
std::string Describe(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

int GetInt(const json& value, const std::string& where) {
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      return value.get<int>();
    }
  } else if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()) {
      return static_cast<int>(v);
    }
  }
  throw ConfigError(where, "expected a 32-bit integer, got " + Describe(value));
}

}  // namespace

json ModelSpecToJson(const ModelSpec& spec) {
  return {{"type", spec.type},
          {"inputDim", spec.input_dim},
          {"numClasses", spec.num_classes},
          {"hiddenLayers", spec.hidden_layers},
          {"l2", spec.l2}};
}

ModelSpec ModelSpecFromJson(const json& value, const std::string& where) {
  if (!value.is_object()) throw ConfigError(where, "expected an object, got " + Describe(value));
  CheckKeys(value, {"type", "inputDim", "numClasses", "hiddenLayers", "l2"}, where);
  ModelSpec spec;
  if (!value.contains("type") || !value["type"].is_string()) {
    throw ConfigError(where + ".type", "expected a string: logistic, softmax or mlp");
  }
  spec.type = value["type"].get<std::string>();
  if (!value.contains("inputDim")) throw ConfigError(where + ".inputDim", "required");
  spec.input_dim = GetInt(value["inputDim"], where + ".inputDim");
  if (value.contains("numClasses")) {
    spec.num_classes = GetInt(value["numClasses"], where + ".numClasses");
  }
  if (value.contains("hiddenLayers")) {
    const json& layers = value["hiddenLayers"];
    if (!layers.is_array()) throw ConfigError(where + ".hiddenLayers", "expected an array");
    for (size_t i = 0; i < layers.size(); ++i) {
      spec.hidden_layers.push_back(
          GetInt(layers[i], where + ".hiddenLayers[" + std::to_string(i) + "]"));
    }
  }
  if (value.contains("l2")) {
    if (!value["l2"].is_number()) throw ConfigError(where + ".l2", "expected a number");
    spec.l2 = value["l2"].get<double>();
  }
  ValidateModelSpec(spec, where);
  return spec;
}

json ModelCard::ToJson() const {
  json metric_values = json::object();
  for (const auto& [name, value] : metrics) {
    metric_values[name] = std::isfinite(value) ? json(value) : json(nullptr);
  }
  return {{"task", task},
          {"model", ModelSpecToJson(spec)},
          {"schema", schema},
          {"featureStatistics", feature_statistics},
          {"metrics", metric_values},
          {"privacy", privacy},
          {"lineage", lineage}};
}

ModelCard ModelCard::FromJson(const json& value, const std::string& where) {
  if (!value.is_object()) throw ConfigError(where, "expected a JSON object for the model card");
  CheckKeys(value,
            {"task", "model", "schema", "featureStatistics", "metrics", "privacy", "lineage"},
            where);
  ModelCard card;
  if (!value.contains("model")) throw ConfigError(where + ".model", "required");
  card.spec = ModelSpecFromJson(value["model"], where + ".model");
  if (value.contains("task")) {
    if (!value["task"].is_string()) throw ConfigError(where + ".task", "expected a string");
    card.task = value["task"].get<std::string>();
  }
  if (value.contains("metrics")) {
    const json& metrics = value["metrics"];
    if (!metrics.is_object()) throw ConfigError(where + ".metrics", "expected an object");
    for (const auto& [name, metric] : metrics.items()) {
      if (metric.is_null()) {
        card.metrics[name] = std::numeric_limits<double>::quiet_NaN();
      } else if (metric.is_number()) {
        card.metrics[name] = metric.get<double>();
      } else {
        throw ConfigError(where + ".metrics." + name, "expected a number or null");
      }
    }
  }
  const auto free_form = [&](const char* key) { return value.contains(key) ? value[key] : json(); };
  card.schema = free_form("schema");
  card.feature_statistics = free_form("featureStatistics");
  card.privacy = free_form("privacy");
  card.lineage = free_form("lineage");
  return card;
}

}  // namespace fedcrm::model
