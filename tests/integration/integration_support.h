// Shared setup of the process-level tests: where the built binaries are, a
// scratch directory per test, and small federations built from the shipped
// churn example.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cli/support/network_federation.h"
#include "core/sim/simulation_config.h"
#include "core/sim/simulation_result.h"

namespace fedcrm::integration {

// The directory holding fedcrm-aggregator and fedcrm-worker.
std::filesystem::path BinDir();

// A fresh directory under the system temp dir. It is removed on destruction
// unless the current test failed, so that the logs of a failure survive.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// examples/churn.yaml for one round, every silo generating `rows` rows.
sim::SimulationConfig ChurnConfig(int64_t rows);

// The churn example with one generated silo per entry of `regions`, named
// "<region>-<index>" and seeded distinctly; one round.
sim::SimulationConfig ChurnConfigWithRegions(const std::vector<std::string>& regions, int64_t rows);

// Options for RunNetworkFederation in `work_dir` with the built binaries.
cli::NetworkFederationOptions NetworkOptions(const std::filesystem::path& work_dir);

// The one strategy of `kind` in `result`; fails the test when missing.
const sim::StrategyResult& Strategy(const sim::SimulationResult& result, sim::StrategyKind kind);

// The whole content of a (log) file, or "" when it cannot be read.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace fedcrm::integration
