// What a model file says about its model: how to rebuild it, what inputs it
// expects, how well it did and under which privacy guarantee it was trained.
//
// JSON form (camelCase, like the custom resources):
//   {"task": "churn", "model": {"type", "inputDim", "numClasses",
//    "hiddenLayers", "l2"}, "schema": ..., "featureStatistics": ...,
//    "metrics": {"roc_auc": 0.81, ...}, "privacy": ..., "lineage": ...}
// schema, featureStatistics, privacy and lineage are free-form JSON owned by
// the areas that produce them. A metric that is NaN or infinite is written as
// null and read back as NaN.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/model/model.h"

namespace fedcrm::model {

struct ModelCard {
  ModelSpec spec;
  nlohmann::json schema;              // the feature schema inputs were encoded with
  nlohmann::json feature_statistics;  // federation-wide standardization statistics
  std::map<std::string, double> metrics;
  nlohmann::json privacy;  // e.g. epsilon, delta, noise multiplier
  nlohmann::json lineage;  // e.g. base model digest, round, participants
  std::string task;

  nlohmann::json ToJson() const;

  // Validates `json` (an object with exactly the keys above; "model"
  // required and a valid spec) and throws fedcrm::ConfigError naming
  // "<where>.<field>" otherwise.
  static ModelCard FromJson(const nlohmann::json& json, const std::string& where);
};

nlohmann::json ModelSpecToJson(const ModelSpec& spec);
// Throws fedcrm::ConfigError("<where>.<field>", ...) for a missing or
// mistyped field or an invalid spec (see ValidateModelSpec).
ModelSpec ModelSpecFromJson(const nlohmann::json& json, const std::string& where);

}  // namespace fedcrm::model
