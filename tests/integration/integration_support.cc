#include "tests/integration/integration_support.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fedcrm::integration {

namespace fs = std::filesystem;

fs::path BinDir() { return FEDCRM_BIN_DIR; }

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "fedcrm-integration-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (::testing::Test::HasFailure()) {
    std::cerr << "kept the work directory " << path_ << " for its logs\n";
    return;
  }
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

sim::SimulationConfig ChurnConfig(int64_t rows) {
  sim::SimulationConfig config =
      sim::LoadSimulationConfig(std::string(FEDCRM_SOURCE_DIR) + "/examples/churn.yaml");
  config.rounds = 1;
  for (auto& silo : config.silos) silo.data.generate_rows = rows;
  return config;
}

sim::SimulationConfig ChurnConfigWithRegions(const std::vector<std::string>& regions,
                                             int64_t rows) {
  sim::SimulationConfig config = ChurnConfig(rows);
  const sim::SiloConfig like = config.silos.front();
  config.silos.clear();
  for (size_t i = 0; i < regions.size(); ++i) {
    sim::SiloConfig silo = like;
    silo.name = regions[i] + "-" + std::to_string(i + 1);
    silo.region = regions[i];
    silo.data.generate_seed = 100 + i;
    config.silos.push_back(silo);
  }
  return config;
}

cli::NetworkFederationOptions NetworkOptions(const fs::path& work_dir) {
  cli::NetworkFederationOptions options;
  options.bin_dir = BinDir();
  options.work_dir = work_dir;
  return options;
}

const sim::StrategyResult& Strategy(const sim::SimulationResult& result, sim::StrategyKind kind) {
  const auto it = std::find_if(result.strategies.begin(), result.strategies.end(),
                               [kind](const sim::StrategyResult& s) { return s.kind == kind; });
  if (it == result.strategies.end()) throw std::runtime_error("no strategy of the requested kind");
  return *it;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace fedcrm::integration
