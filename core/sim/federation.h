// The in-process federation behind `fedcrm simulate --transport inproc`.
//
// It trains the same model four ways on the same silos and evaluates each on
// the union of the regions' held-out test sets:
//   - centralized: all rows pooled, the non-private upper bound no one may
//     legally build under data-residency law;
//   - each region alone, on its own rows;
//   - federated (FedAvg or an adaptive server optimizer) without DP;
//   - federated with DP-SGD in every silo, each silo's budget enforced by its
//     privacy ledger.
#pragma once

#include <functional>
#include <string>

#include "core/data/feature_statistics.h"
#include "core/model/model.h"
#include "core/sim/simulation_config.h"
#include "core/sim/simulation_result.h"

namespace fedcrm::sim {

// Receives progress while a simulation runs (for a terminal progress line).
class ProgressListener {
 public:
  virtual ~ProgressListener() = default;
  virtual void StrategyStarted(const std::string& label, int rounds) = 0;
  virtual void RoundFinished(const std::string& label, int round, int rounds, double metric) = 0;
};

// Evaluates a model trained elsewhere (by worker processes) exactly like the
// in-process strategies: on every silo's held-out rows, standardized with the
// statistics the model was trained with.
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // The primary metric on the union of the test sets.
  virtual double Primary(const model::Model& model,
                         const data::FeatureStatistics& statistics) const = 0;
  // All metrics, on the union and per silo, into `result`.
  virtual void Final(const model::Model& model, const data::FeatureStatistics& statistics,
                     StrategyResult* result) const = 0;
};

// Runs the private federation somewhere else — `fedcrm simulate --transport
// https` runs it as an aggregator and worker processes over mutual TLS — and
// returns its strategy line (kind kFederatedPrivate).
using PrivateFederation = std::function<StrategyResult(
    const SimulationConfig& config, double noise_multiplier, const Evaluator& evaluator)>;

struct SimulationOptions {
  // Draw DP noise and sampling from OS entropy instead of the config's seed.
  // Off by default so that a simulation, like a test, is reproducible.
  bool secure_noise = false;
  ProgressListener* progress = nullptr;  // may be null
  // Unset: the private federation runs in-process.
  PrivateFederation private_federation;
};

// The seed of silo `silo`'s DP noise in round `round` (1-based) when the run
// is reproducible: the same in-process and in a worker process, so both paths
// draw the same noise.
uint64_t NoiseSeed(uint64_t seed, size_t silo, int round);

// Runs every strategy. Throws ConfigError / DataError for bad configuration
// or data, naming the file and field.
SimulationResult RunSimulation(const SimulationConfig& config, const SimulationOptions& options);

}  // namespace fedcrm::sim
