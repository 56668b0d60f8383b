// FedAvg exactness and DP-SGD wiring with the real models from MakeModel.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/model/model.h"
#include "core/train/local_trainer.h"
#include "tests/unit/fl/fedavg_harness.h"
#include "tests/unit/train/toy_models.h"

namespace fedcrm::fl {
namespace {

// ModelSpec::hidden_layers has no default member initializer, so GCC 12's
// -Wmissing-field-initializers wants it spelled out in designated initializers.

std::vector<data::Dataset> Silos(int cols) {
  return {testing::MakeToyData(60, cols, 11), testing::MakeToyData(230, cols, 12),
          testing::MakeToyData(17, cols, 13)};
}

TEST(FedAvgModelTest, LogisticMatchesCentralizedGradientDescent) {
  const auto model =
      model::MakeModel({.type = "logistic", .input_dim = 6, .hidden_layers = {}, .l2 = 0.05}, 1);
  double moved = 0.0;
  EXPECT_LT(testing::MaxFedAvgVsCentralizedGap(*model, Silos(6), 0.7, 5, &moved), 1e-9);
  EXPECT_GT(moved, 0.05);
}

TEST(FedAvgModelTest, SoftmaxMatchesCentralizedGradientDescent) {
  const auto model = model::MakeModel(
      {.type = "softmax", .input_dim = 4, .num_classes = 3, .hidden_layers = {}, .l2 = 0.01}, 2);
  double moved = 0.0;
  EXPECT_LT(testing::MaxFedAvgVsCentralizedGap(*model, Silos(4), 0.5, 5, &moved), 1e-9);
  EXPECT_GT(moved, 0.05);
}

TEST(FedAvgModelTest, MlpMatchesCentralizedGradientDescent) {
  const auto model = model::MakeModel(
      {.type = "mlp", .input_dim = 4, .num_classes = 2, .hidden_layers = {8}, .l2 = 0.01}, 3);
  double moved = 0.0;
  EXPECT_LT(testing::MaxFedAvgVsCentralizedGap(*model, Silos(4), 0.3, 4, &moved), 1e-9);
  EXPECT_GT(moved, 0.01);
}

TEST(DpSgdModelTest, NoiselessUnclippedDpStepEqualsFullBatchStep) {
  // Checks the PerExampleGradients / PenaltyGradient contract: per-example
  // gradients exclude the L2 penalty, which DP-SGD adds back afterwards.
  for (const model::ModelSpec& spec :
       {model::ModelSpec{.type = "logistic", .input_dim = 5, .hidden_layers = {}, .l2 = 0.2},
        model::ModelSpec{
            .type = "softmax", .input_dim = 5, .num_classes = 3, .hidden_layers = {}, .l2 = 0.2},
        model::ModelSpec{.type = "mlp", .input_dim = 5, .hidden_layers = {6}, .l2 = 0.2}}) {
    SCOPED_TRACE(spec.type);
    const auto model = model::MakeModel(spec, 4);
    Eigen::VectorXd start = model->Parameters();
    start += Eigen::VectorXd::LinSpaced(start.size(), -0.3, 0.3);
    model->SetParameters(start);
    const data::Dataset data = testing::MakeToyData(90, 5, 14);
    train::LocalTrainingConfig config{.steps = 3, .learning_rate = 0.4, .batch_size = 0};
    train::SecureRandom rng = train::SecureRandom::ForTesting(5);
    const Eigen::VectorXd plain = train::TrainLocal(*model, data, config, rng).delta;
    config.dp =
        train::DpSgdConfig{.sampling_rate = 1.0, .noise_multiplier = 1e-15, .clip_norm = 1e6};
    const Eigen::VectorXd dp = train::TrainLocal(*model, data, config, rng).delta;
    EXPECT_GT(plain.norm(), 1e-3);
    EXPECT_LT((dp - plain).cwiseAbs().maxCoeff(), 1e-9);
  }
}

}  // namespace
}  // namespace fedcrm::fl
