// The configuration of one federated round as the aggregator serves it
// (PUT /v1/rounds/{round}, docs/protocol.md): everything a worker needs to
// take part, and everything the aggregator needs to finish the round.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/fl/aggregation.h"
#include "core/fl/server_optimizer.h"
#include "core/model/model.h"
#include "core/secagg/neighbour_graph.h"
#include "core/secagg/quantization.h"
#include "core/train/local_trainer.h"

namespace fedcrm::fl {

struct RoundSilo {
  std::string name;
  double epsilon_budget = 0;  // 0: no budget recorded
  double delta = 1e-5;
};

struct RoundConfig {
  std::string round_id;    // from the URL
  std::string model_line;  // e.g. "churn-demo": rounds of one model
  std::string task;
  nlohmann::json schema;                  // FederatedRound.spec.schema
  model::ModelSpec model;                 // input_dim/num_classes derived from the schema
  std::optional<std::string> base_model;  // digest; nullopt: a fresh model from `seed`
  uint64_t seed = 1;
  train::LocalTrainingConfig training;  // dp set when privacy is configured
  double privacy_delta = 1e-5;
  Weighting weighting = Weighting::kByRecords;
  ServerOptimizerConfig server_optimizer;
  int threshold = 0;  // 0: the graph's default
  secagg::QuantizationConfig quantization{8.0, 16, 32};
  secagg::GraphConfig graph;
  std::vector<RoundSilo> silos;    // the roster
  int phase_seconds = 120;         // deadline of each key/unmask phase
  int masked_input_seconds = 900;  // deadline of the phase that includes training
  // Share of each silo's rows held out from statistics and training and
  // scored, through an evaluation stage, once the model is released; 0: no
  // evaluation stage (JSON "evaluation": {"holdoutFraction": f}).
  double evaluation_holdout = 0;

  std::vector<std::string> Roster() const;
};

// Parses and validates the JSON body. Throws ConfigError naming the field
// ("round config: secureAggregation.modulusBits: ...").
RoundConfig ParseRoundConfig(const nlohmann::json& json, const std::string& round_id);
nlohmann::json RoundConfigToJson(const RoundConfig& config);

}  // namespace fedcrm::fl
