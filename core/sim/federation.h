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

#include <string>

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

struct SimulationOptions {
  // Draw DP noise and sampling from OS entropy instead of the config's seed.
  // Off by default so that a simulation, like a test, is reproducible.
  bool secure_noise = false;
  ProgressListener* progress = nullptr;  // may be null
};

// Runs every strategy. Throws ConfigError / DataError for bad configuration
// or data, naming the file and field.
SimulationResult RunSimulation(const SimulationConfig& config, const SimulationOptions& options);

}  // namespace fedcrm::sim
