// The configuration of a local federation (`fedcrm simulate -f FILE`).
//
// The file is shaped like the custom resources the operator serves: `round`
// is a FederatedRound.spec, each entry of `silos` a RegionSilo.spec, so a
// simulation file is a rehearsal of what a platform engineer will apply.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/fl/aggregation.h"
#include "core/fl/server_optimizer.h"
#include "core/model/model.h"
#include "core/train/local_trainer.h"

namespace fedcrm::sim {

// Where a silo's rows come from: a CSV file, or the synthetic generator.
struct SiloData {
  std::string path;           // CSV file; empty when generated
  int64_t generate_rows = 0;  // > 0: generate this many rows (0 = the generator's default)
  uint64_t generate_seed = 0;
  bool generated() const { return path.empty(); }
};

struct SiloConfig {
  std::string name;          // e.g. "eu-west"
  std::string region;        // the generator's region key when generated (eu, us, apac)
  std::string jurisdiction;  // GDPR, CCPA, PDPA ... (reported, not interpreted)
  SiloData data;
  double epsilon_budget = 0;  // the silo's (ε, δ) budget over the whole run
  double delta_budget = 1e-5;
};

struct PrivacyConfig {
  std::optional<double> noise_multiplier;  // unset: calibrated from the budgets ("auto")
  double clip_norm = 1.0;
  double sampling_rate = 0.01;
  double delta = 1e-5;
};

struct SimulationConfig {
  std::string name;
  std::string source;  // the file it was read from, for messages
  std::string task;    // churn | lead-scoring | service
  nlohmann::json schema;
  model::ModelSpec model;  // input_dim and num_classes are filled from the schema later
  train::LocalTrainingConfig training;  // without dp; see privacy
  PrivacyConfig privacy;
  fl::Weighting weighting = fl::Weighting::kByRecords;
  fl::ServerOptimizerConfig server_optimizer;
  int rounds = 20;
  double test_fraction = 0.2;
  uint64_t seed = 1;
  std::vector<SiloConfig> silos;
};

// Parses and validates a simulation document. Throws ConfigError naming
// `source` and the field (e.g. "churn.yaml: spec.round.privacy.clipNorm").
SimulationConfig ParseSimulationConfig(const nlohmann::json& document, const std::string& source);

// Reads a YAML file and parses it.
SimulationConfig LoadSimulationConfig(const std::string& path);

}  // namespace fedcrm::sim
