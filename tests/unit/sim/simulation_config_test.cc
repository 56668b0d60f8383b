#include "core/sim/simulation_config.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/common/yaml_json.h"

namespace fedcrm::sim {
namespace {

SimulationConfig Parse(const std::string& yaml) {
  return ParseSimulationConfig(YamlToJson(yaml, "t.yaml"), "t.yaml");
}

// A minimal valid document; tests break one field at a time.
std::string Document(const std::string& round_extra = "", const std::string& silo_extra = "") {
  return R"(
kind: Simulation
spec:
  rounds: 3
  round:
    task: churn
    schema: {label: {name: y, type: binary, positive: "1", negative: "0"}, features: []}
)" + round_extra +
         R"(
  silos:
    - name: eu
      data: {generate: {rows: 100, seed: 1}}
      privacyBudget: {epsilon: 2}
)" + silo_extra;
}

std::string ErrorOf(const std::string& yaml) {
  try {
    Parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SimulationConfigTest, ExamplesParse) {
  for (const char* path :
       {"examples/churn.yaml", "examples/lead-scoring.yaml", "examples/service.yaml"}) {
    SCOPED_TRACE(path);
    const SimulationConfig config = LoadSimulationConfig(path);
    EXPECT_EQ(config.silos.size(), 3u);
    EXPECT_GT(config.rounds, 0);
    EXPECT_FALSE(config.privacy.noise_multiplier.has_value());  // "auto"
    for (const auto& silo : config.silos) {
      EXPECT_TRUE(silo.data.generated());
      EXPECT_GT(silo.epsilon_budget, 0);
    }
  }
}

TEST(SimulationConfigTest, DefaultsAndOverrides) {
  const SimulationConfig config =
      Parse(Document(R"(    training: {localSteps: 7, learningRate: 0.3, batchSize: 0}
    privacy: {noiseMultiplier: 1.5, clipNorm: 2, samplingRate: 0.05}
    aggregation: {weighting: uniform, serverOptimizer: {type: fedadam, learningRate: 0.01}})"));
  EXPECT_EQ(config.rounds, 3);
  EXPECT_EQ(config.training.steps, 7);
  EXPECT_EQ(config.training.batch_size, 0);
  ASSERT_TRUE(config.privacy.noise_multiplier.has_value());
  EXPECT_DOUBLE_EQ(*config.privacy.noise_multiplier, 1.5);
  EXPECT_DOUBLE_EQ(config.privacy.delta, 1e-5);
  EXPECT_EQ(config.weighting, fl::Weighting::kUniform);
  EXPECT_EQ(config.server_optimizer.type, "fedadam");
  EXPECT_EQ(config.silos[0].region, "eu");  // defaults to the name
  EXPECT_EQ(config.silos[0].data.generate_rows, 100);
}

TEST(SimulationConfigTest, ErrorsNameTheField) {
  EXPECT_NE(ErrorOf(Document("    privacy: {samplingRate: 1.5}"))
                .find("t.yaml: spec.round.privacy.samplingRate: must be in (0, 1]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Document("    privacy: {clipNorm: -1}")).find("spec.round.privacy.clipNorm"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Document("    model: {type: forest}"))
                .find("spec.round.model.type: expected one of logistic, softmax, mlp"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Document("    training: {localSteps: 2.5}"))
                .find("spec.round.training.localSteps: expected an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Document("",
                             "    - name: eu\n      data: {path: a.csv}\n"
                             "      privacyBudget: {epsilon: 1}\n"))
                .find("spec.silos[1].name: duplicate silo name 'eu'"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Document("", "    - name: us\n      data: {}\n      privacyBudget: {epsilon: 1}\n"))
          .find("spec.silos[1].data: expected 'path'"),
      std::string::npos);
  EXPECT_NE(ErrorOf("kind: FederatedRound\nspec: {}\n").find("kind: expected Simulation"),
            std::string::npos);
  EXPECT_NE(ErrorOf("spec: {rounds: 2}\n").find("spec.round: is required"), std::string::npos);
}

}  // namespace
}  // namespace fedcrm::sim
