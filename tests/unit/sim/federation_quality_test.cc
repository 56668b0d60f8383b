// The product's promise, measured on the shipped examples with fixed seeds:
// federated learning matches pooling the data, clearly beats every region on
// its own, and differential privacy at ε ≤ 3 per silo costs little.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/sim/federation.h"
#include "core/sim/simulation_config.h"

namespace fedcrm::sim {
namespace {

const StrategyResult& Only(const SimulationResult& r, StrategyKind kind) {
  auto it = std::find_if(r.strategies.begin(), r.strategies.end(),
                         [&](const StrategyResult& s) { return s.kind == kind; });
  EXPECT_NE(it, r.strategies.end());
  return *it;
}

void ExpectQualityBars(const std::string& example) {
  const SimulationConfig config = LoadSimulationConfig(example);
  const SimulationResult r = RunSimulation(config, {});
  const std::string& m = r.primary_metric;
  ASSERT_EQ(m, "roc_auc");

  const double centralized = Only(r, StrategyKind::kCentralized).metrics.at(m);
  const double federated = Only(r, StrategyKind::kFederated).metrics.at(m);
  const StrategyResult& dp = Only(r, StrategyKind::kFederatedPrivate);
  const double federated_dp = dp.metrics.at(m);

  // Federated (no DP) is within 0.01 of centralized training on pooled data.
  EXPECT_NEAR(federated, centralized, 0.01);
  // ... and above every single region's model, on the union of the test sets,
  // by at least 0.03.
  for (const auto& s : r.strategies) {
    if (s.kind != StrategyKind::kLocalOnly) continue;
    EXPECT_GE(federated - s.metrics.at(m), 0.03) << s.label;
  }
  // With DP at ε ≤ 3 per silo, within 0.03 of federated without DP.
  for (const auto& silo : r.silos) {
    EXPECT_LE(dp.epsilon_by_silo.at(silo.name), 3.0) << silo.name;
    EXPECT_GT(dp.epsilon_by_silo.at(silo.name), 0.0) << silo.name;
    EXPECT_EQ(dp.rounds_by_silo.at(silo.name), r.rounds) << silo.name;
  }
  EXPECT_GE(federated_dp, federated - 0.03);
}

TEST(FederationQualityTest, Churn) { ExpectQualityBars("examples/churn.yaml"); }

TEST(FederationQualityTest, LeadScoring) { ExpectQualityBars("examples/lead-scoring.yaml"); }

TEST(FederationQualityTest, ServiceRoutingBeatsEveryRegionAlone) {
  const SimulationResult r = RunSimulation(LoadSimulationConfig("examples/service.yaml"), {});
  ASSERT_EQ(r.primary_metric, "accuracy");
  const double federated = Only(r, StrategyKind::kFederated).metrics.at("accuracy");
  for (const auto& s : r.strategies) {
    if (s.kind == StrategyKind::kLocalOnly) {
      EXPECT_GT(federated, s.metrics.at("accuracy")) << s.label;
    }
  }
}

}  // namespace
}  // namespace fedcrm::sim
