// Dropout recovery with real processes: workers killed at a chosen step of
// the training stage (--fail-at, via NetworkFederationOptions::drops).
#include <gtest/gtest.h>

#include <string>

#include "cli/support/network_federation.h"
#include "core/common/error.h"
#include "core/sim/federation.h"
#include "tests/integration/integration_support.h"

namespace fedcrm::integration {
namespace {

const std::vector<std::string> kFiveRegions = {"eu", "us", "apac", "eu", "us"};

// Short deadlines: a killed worker is noticed when its phase's deadline
// passes, so these set how long a test waits.
cli::NetworkFederationOptions ShortDeadlines(const std::filesystem::path& work_dir) {
  cli::NetworkFederationOptions options = NetworkOptions(work_dir);
  options.phase_seconds = 3;
  options.masked_input_seconds = 8;
  return options;
}

sim::SimulationResult RunOverNetwork(const sim::SimulationConfig& config,
                                     const cli::NetworkFederationOptions& network) {
  sim::SimulationOptions options;
  options.private_federation = [&network](const sim::SimulationConfig& c, double sigma,
                                          const sim::Evaluator& evaluator) {
    return cli::RunNetworkFederation(c, sigma, evaluator, network);
  };
  return sim::RunSimulation(config, options);
}

TEST(DropoutRecoveryTest, RoundSurvivesOneDropoutBeforeAndOneAfterTheMaskedInput) {
  ScratchDir scratch;
  const sim::SimulationConfig config = ChurnConfigWithRegions(kFiveRegions, 1000);
  // Five silos on a complete graph: the default threshold is 3 of 5.
  cli::NetworkFederationOptions network = ShortDeadlines(scratch.path());
  const std::string sent_masked_then_died = config.silos[1].name;  // us-2
  const std::string died_before_masked = config.silos[3].name;     // eu-4
  network.drops = {{sent_masked_then_died, "training/unmask", 1},
                   {died_before_masked, "training/masked", 1}};

  const sim::SimulationResult result = RunOverNetwork(config, network);
  const sim::StrategyResult& dp = Strategy(result, sim::StrategyKind::kFederatedPrivate);

  // The contributors are the four silos whose masked input arrived: the one
  // killed before unmasking is recovered from its neighbours' shares, the
  // one killed before sending is left out. Only contributors are charged.
  for (const auto& silo : config.silos) {
    const int expected_rounds = silo.name == died_before_masked ? 0 : 1;
    EXPECT_EQ(dp.rounds_by_silo.at(silo.name), expected_rounds) << silo.name;
  }
  EXPECT_EQ(dp.curve.size(), 1u);
  EXPECT_EQ(dp.parameters.size(), result.model_spec.input_dim + 1);
  EXPECT_TRUE(dp.parameters.allFinite());
  EXPECT_NE(ReadFile(scratch.path() / ("worker-" + sent_masked_then_died + ".log"))
                .find("--fail-at testing aid"),
            std::string::npos);
}

// Three workers with the default threshold 2 of 3 cannot tolerate two
// dropouts at all, so "too few survivors" is shown with five silos, three of
// which die before sending their masked input: two remain, below 3 of 5.
TEST(DropoutRecoveryTest, RoundFailsWhenFewerThanTheThresholdSendMaskedInput) {
  ScratchDir scratch;
  const sim::SimulationConfig config = ChurnConfigWithRegions(kFiveRegions, 1000);
  cli::NetworkFederationOptions network = ShortDeadlines(scratch.path());
  for (size_t i : {0, 2, 4}) network.drops.push_back({config.silos[i].name, "training/masked", 1});

  try {
    RunOverNetwork(config, network);
    FAIL() << "the round succeeded with 2 of 5 masked inputs";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("failed"), std::string::npos) << message;
    EXPECT_NE(message.find("fewer than the threshold"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace fedcrm::integration
