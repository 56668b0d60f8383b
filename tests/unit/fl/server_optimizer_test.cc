#include "core/fl/server_optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/common/error.h"

namespace fedcrm::fl {
namespace {

// Hyperparameters chosen so the hand arithmetic below stays readable:
// v starts at tau^2 = 0.25.
ServerOptimizerConfig AdaptiveConfig(const std::string& type) {
  return {.type = type, .learning_rate = 0.1, .beta1 = 0.9, .beta2 = 0.99, .tau = 0.5};
}

const Eigen::Vector3d kDelta1(2.0, -1.0, 0.5);  // squares 4, 1, 0.25
const Eigen::Vector3d kDelta2(0.1, 0.5, 0.5);   // squares 0.01, 0.25, 0.25
const Eigen::Vector3d kStart(1.0, 2.0, 3.0);

TEST(FedAvgTest, AddsScaledMeanDelta) {
  auto optimizer = MakeServerOptimizer({.type = "fedavg", .learning_rate = 0.5});
  Eigen::VectorXd params = kStart;
  optimizer->Apply(kDelta1, &params);
  EXPECT_LT((params - Eigen::Vector3d(2.0, 1.5, 3.25)).cwiseAbs().maxCoeff(), 1e-15);
  optimizer->Apply(kDelta2, &params);
  EXPECT_LT((params - Eigen::Vector3d(2.05, 1.75, 3.5)).cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_EQ(optimizer->State(), nlohmann::json({{"type", "fedavg"}, {"rounds", 2}}));
}

TEST(FedAdamTest, FirstTwoStepsMatchHandComputation) {
  auto optimizer = MakeServerOptimizer(AdaptiveConfig("fedadam"));
  Eigen::VectorXd params = kStart;

  // Round 1: m = 0.1 * delta1 = (0.2, -0.1, 0.05)
  //          v = 0.99 * 0.25 + 0.01 * delta1^2 = (0.2875, 0.2575, 0.25)
  optimizer->Apply(kDelta1, &params);
  const Eigen::Vector3d m1(0.2, -0.1, 0.05);
  const Eigen::Vector3d v1(0.2875, 0.2575, 0.25);
  Eigen::Vector3d expected;
  for (int i = 0; i < 3; ++i) expected(i) = kStart(i) + 0.1 * m1(i) / (std::sqrt(v1(i)) + 0.5);
  EXPECT_LT((params - expected).cwiseAbs().maxCoeff(), 1e-14);

  // Round 2: m = 0.9 m1 + 0.1 delta2 = (0.19, -0.04, 0.095)
  //          v = 0.99 v1 + 0.01 delta2^2 = (0.284725, 0.257425, 0.25)
  optimizer->Apply(kDelta2, &params);
  const Eigen::Vector3d m2(0.19, -0.04, 0.095);
  const Eigen::Vector3d v2(0.284725, 0.257425, 0.25);
  for (int i = 0; i < 3; ++i) expected(i) += 0.1 * m2(i) / (std::sqrt(v2(i)) + 0.5);
  EXPECT_LT((params - expected).cwiseAbs().maxCoeff(), 1e-14);

  const nlohmann::json state = optimizer->State();
  EXPECT_EQ(state["type"], "fedadam");
  EXPECT_EQ(state["rounds"], 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(state["m"][i].get<double>(), m2(i), 1e-15);
    EXPECT_NEAR(state["v"][i].get<double>(), v2(i), 1e-15);
  }
}

TEST(FedYogiTest, FirstTwoStepsMatchHandComputation) {
  auto optimizer = MakeServerOptimizer(AdaptiveConfig("fedyogi"));
  Eigen::VectorXd params = kStart;

  // Round 1: v0 = 0.25; sign(v0 - delta1^2) = (-1, -1, 0), so
  //          v = v0 + 0.01 * delta1^2 on the first two, unchanged on the third:
  //          (0.29, 0.26, 0.25). m as for Adam.
  optimizer->Apply(kDelta1, &params);
  const Eigen::Vector3d m1(0.2, -0.1, 0.05);
  const Eigen::Vector3d v1(0.29, 0.26, 0.25);
  Eigen::Vector3d expected;
  for (int i = 0; i < 3; ++i) expected(i) = kStart(i) + 0.1 * m1(i) / (std::sqrt(v1(i)) + 0.5);
  EXPECT_LT((params - expected).cwiseAbs().maxCoeff(), 1e-14);

  // Round 2: sign(v1 - delta2^2) = (+1, +1, 0):
  //          v = (0.29 - 0.0001, 0.26 - 0.0025, 0.25) = (0.2899, 0.2575, 0.25)
  optimizer->Apply(kDelta2, &params);
  const Eigen::Vector3d m2(0.19, -0.04, 0.095);
  const Eigen::Vector3d v2(0.2899, 0.2575, 0.25);
  for (int i = 0; i < 3; ++i) expected(i) += 0.1 * m2(i) / (std::sqrt(v2(i)) + 0.5);
  EXPECT_LT((params - expected).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_EQ(optimizer->State()["type"], "fedyogi");
}

TEST(ServerOptimizerStateTest, RoundTripContinuesIdentically) {
  for (const std::string type : {"fedavg", "fedadam", "fedyogi"}) {
    SCOPED_TRACE(type);
    auto original = MakeServerOptimizer(AdaptiveConfig(type));
    Eigen::VectorXd params = kStart;
    original->Apply(kDelta1, &params);
    original->Apply(kDelta2, &params);

    // Through text, as a server would persist it.
    const std::string saved = original->State().dump();
    auto restored = MakeServerOptimizer(AdaptiveConfig(type));
    restored->Restore(nlohmann::json::parse(saved));
    EXPECT_EQ(restored->State(), original->State());

    Eigen::VectorXd a = params, b = params;
    const Eigen::Vector3d delta3(-0.3, 0.2, 1.0);
    original->Apply(delta3, &a);
    restored->Apply(delta3, &b);
    EXPECT_EQ(a, b);
  }
}

TEST(ServerOptimizerStateTest, FreshAdaptiveStateIsEmpty) {
  auto optimizer = MakeServerOptimizer(AdaptiveConfig("fedadam"));
  const nlohmann::json state = optimizer->State();
  EXPECT_EQ(state["rounds"], 0);
  EXPECT_TRUE(state["m"].empty());
  optimizer->Restore(state);  // an empty state is valid
  Eigen::VectorXd params = kStart;
  EXPECT_NO_THROW(optimizer->Apply(kDelta1, &params));
}

std::string WhereOfRestore(const std::string& type, const nlohmann::json& state) {
  auto optimizer = MakeServerOptimizer(AdaptiveConfig(type));
  try {
    optimizer->Restore(state);
  } catch (const ConfigError& e) {
    return e.where();
  }
  return "(accepted)";
}

TEST(ServerOptimizerStateTest, RejectsMalformedState) {
  using nlohmann::json;
  const json good = {{"type", "fedadam"}, {"rounds", 1}, {"m", {0.1, 0.2}}, {"v", {0.3, 0.4}}};
  EXPECT_EQ(WhereOfRestore("fedadam", good), "(accepted)");
  EXPECT_EQ(WhereOfRestore("fedyogi", good), "server optimizer state: type");
  EXPECT_EQ(WhereOfRestore("fedavg", good), "server optimizer state: type");
  EXPECT_EQ(WhereOfRestore("fedadam", json::array()), "server optimizer state");

  json bad = good;
  bad["rounds"] = -1;
  EXPECT_EQ(WhereOfRestore("fedadam", bad), "server optimizer state: rounds");
  bad = good;
  bad["m"] = {0.1, "x"};
  EXPECT_EQ(WhereOfRestore("fedadam", bad), "server optimizer state: m");
  bad = good;
  bad.erase("v");
  EXPECT_EQ(WhereOfRestore("fedadam", bad), "server optimizer state: v");
  bad = good;
  bad["v"] = {0.3};
  EXPECT_EQ(WhereOfRestore("fedadam", bad), "server optimizer state");
  bad = good;
  bad["v"] = {0.3, -0.4};
  EXPECT_EQ(WhereOfRestore("fedadam", bad), "server optimizer state: v");
}

TEST(ServerOptimizerTest, RejectsSizeMismatch) {
  auto optimizer = MakeServerOptimizer(AdaptiveConfig("fedadam"));
  Eigen::VectorXd params = kStart;
  EXPECT_THROW(optimizer->Apply(Eigen::Vector2d(1, 2), &params), ConfigError);
  optimizer->Apply(kDelta1, &params);
  Eigen::VectorXd bigger = Eigen::VectorXd::Zero(4);
  EXPECT_THROW(optimizer->Apply(Eigen::VectorXd::Ones(4), &bigger), ConfigError);
  EXPECT_EQ(optimizer->State()["rounds"], 1);
}

std::string WhereOfConfig(const ServerOptimizerConfig& config) {
  try {
    MakeServerOptimizer(config);
  } catch (const ConfigError& e) {
    return e.where();
  }
  return "(accepted)";
}

TEST(ServerOptimizerConfigTest, NamesTheInvalidField) {
  EXPECT_EQ(WhereOfConfig({}), "(accepted)");
  EXPECT_EQ(WhereOfConfig({.type = "fedadagrad"}), "server_optimizer.type");
  EXPECT_EQ(WhereOfConfig({.type = "fedavg", .learning_rate = 0.0}),
            "server_optimizer.learning_rate");
  EXPECT_EQ(WhereOfConfig({.type = "fedadam", .beta1 = 1.0}), "server_optimizer.beta1");
  EXPECT_EQ(WhereOfConfig({.type = "fedyogi", .beta2 = -0.1}), "server_optimizer.beta2");
  EXPECT_EQ(WhereOfConfig({.type = "fedadam", .tau = 0.0}), "server_optimizer.tau");
  // fedavg ignores the adaptive hyperparameters.
  EXPECT_EQ(WhereOfConfig({.type = "fedavg", .tau = 0.0}), "(accepted)");
}

}  // namespace
}  // namespace fedcrm::fl
