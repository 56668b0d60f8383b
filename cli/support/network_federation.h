// `fedcrm simulate --transport https`: the private federation as real
// processes on this machine — one fedcrm-aggregator and, every round, one
// fedcrm-worker per silo — talking HTTPS with mutual TLS under a throwaway
// federation CA, with secure aggregation.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/sim/federation.h"

namespace fedcrm::cli {

struct DropSpec {
  std::string silo;   // a silo name, or the region of a silo
  std::string phase;  // a worker --fail-at value, e.g. "training/masked"
  int round = 1;      // the round in which the worker is killed
};

// Parses "REGION@PHASE" or "REGION@PHASE@ROUND". Throws ConfigError.
DropSpec ParseDropSpec(const std::string& text);

struct NetworkFederationOptions {
  std::filesystem::path bin_dir;   // holds fedcrm-aggregator and fedcrm-worker
  std::filesystem::path work_dir;  // certificates, CSVs, logs, the aggregator's store
  std::vector<DropSpec> drops;
  sim::ProgressListener* progress = nullptr;
  bool reproducible_noise = true;  // pass per-round noise seeds to the workers
  // Phase deadlines: a killed worker is noticed when they pass. The masked-
  // input phase includes local training, hence longer.
  int phase_seconds = 10;
  int masked_input_seconds = 30;
};

sim::StrategyResult RunNetworkFederation(const sim::SimulationConfig& config,
                                         double noise_multiplier, const sim::Evaluator& evaluator,
                                         const NetworkFederationOptions& options);

}  // namespace fedcrm::cli
