#include "core/train/local_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "tests/unit/train/toy_models.h"

namespace fedcrm::train {
namespace {

using fedcrm::testing::MakeToyData;
using fedcrm::testing::ToyLogistic;

constexpr int kDim = 4;

ToyLogistic StartingModel(double l2 = 0.05) {
  ToyLogistic model(kDim, l2);
  model.SetParameters((Eigen::VectorXd(kDim + 1) << 0.2, -0.1, 0.4, 0.0, -0.3).finished());
  return model;
}

Eigen::VectorXd FullGradient(const ToyLogistic& model, const Eigen::VectorXd& params,
                             const data::Dataset& data) {
  ToyLogistic at = model;
  at.SetParameters(params);
  Eigen::VectorXd g;
  at.LossAndGradient(data.x, data.y, &g);
  return g;
}

double MaxAbs(const Eigen::VectorXd& v) { return v.cwiseAbs().maxCoeff(); }

TEST(TrainLocalTest, FullBatchStepIsExactGradientStep) {
  const data::Dataset data = MakeToyData(300, kDim, 1);
  const ToyLogistic global = StartingModel();
  const Eigen::VectorXd before = global.Parameters();
  SecureRandom rng = SecureRandom::ForTesting(1);
  const LocalTrainingConfig config{.steps = 1, .learning_rate = 0.3, .batch_size = 0};

  const LocalTrainingResult result = TrainLocal(global, data, config, rng);
  const Eigen::VectorXd expected = -0.3 * FullGradient(global, before, data);
  EXPECT_LT(MaxAbs(result.delta - expected), 1e-12);
  EXPECT_EQ(result.steps, 1);
  EXPECT_EQ(result.examples_used, 300);
  EXPECT_DOUBLE_EQ(result.mean_batch_size, 300.0);
  EXPECT_EQ(global.Parameters(), before);  // the global model is untouched
}

TEST(TrainLocalTest, MomentumFollowsHeavyBallRecurrence) {
  const data::Dataset data = MakeToyData(200, kDim, 2);
  const ToyLogistic global = StartingModel();
  const double lr = 0.5, beta = 0.8;
  SecureRandom rng = SecureRandom::ForTesting(2);
  const LocalTrainingConfig config{
      .steps = 3, .learning_rate = lr, .batch_size = 0, .momentum = beta};
  const LocalTrainingResult with_momentum = TrainLocal(global, data, config, rng);

  const Eigen::VectorXd w0 = global.Parameters();
  Eigen::VectorXd w = w0;
  Eigen::VectorXd v = Eigen::VectorXd::Zero(w.size());
  Eigen::VectorXd w_plain = w0;
  for (int step = 0; step < 3; ++step) {
    v = beta * v + FullGradient(global, w, data);
    w -= lr * v;
    w_plain -= lr * FullGradient(global, w_plain, data);
  }
  EXPECT_LT(MaxAbs(with_momentum.delta - (w - w0)), 1e-12);
  // Momentum makes a real difference after the first step.
  EXPECT_GT(MaxAbs(with_momentum.delta - (w_plain - w0)), 1e-3);
}

TEST(TrainLocalTest, ProximalTermMatchesHandComputedGradient) {
  const data::Dataset data = MakeToyData(200, kDim, 3);
  const ToyLogistic global = StartingModel();
  const double lr = 0.4, mu = 2.0;
  SecureRandom rng = SecureRandom::ForTesting(3);
  const LocalTrainingConfig config{
      .steps = 2, .learning_rate = lr, .batch_size = 0, .proximal_mu = mu};
  const LocalTrainingResult result = TrainLocal(global, data, config, rng);

  // The proximal gradient mu (w - w_global) vanishes at the first step and
  // pulls back toward w_global at the second.
  const Eigen::VectorXd w0 = global.Parameters();
  const Eigen::VectorXd w1 = w0 - lr * FullGradient(global, w0, data);
  const Eigen::VectorXd w2 = w1 - lr * (FullGradient(global, w1, data) + mu * (w1 - w0));
  EXPECT_LT(MaxAbs(result.delta - (w2 - w0)), 1e-12);
}

TEST(TrainLocalTest, ProximalTermPullsTowardGlobalModel) {
  const data::Dataset data = MakeToyData(200, kDim, 4);
  const ToyLogistic global = StartingModel();
  // lr * mu stays below 2 so the proximal part of each step is stable.
  LocalTrainingConfig config{.steps = 30, .learning_rate = 0.2, .batch_size = 0};
  SecureRandom rng = SecureRandom::ForTesting(4);
  const double free_norm = TrainLocal(global, data, config, rng).delta.norm();
  config.proximal_mu = 1.0;
  const double prox_norm = TrainLocal(global, data, config, rng).delta.norm();
  config.proximal_mu = 5.0;
  const double strong_prox_norm = TrainLocal(global, data, config, rng).delta.norm();
  EXPECT_LT(prox_norm, 0.9 * free_norm);
  EXPECT_LT(strong_prox_norm, 0.5 * prox_norm);
}

TEST(TrainLocalTest, MinibatchTrainingIsSeededAndCountsExamples) {
  const data::Dataset data = MakeToyData(100, kDim, 5);
  const ToyLogistic global = StartingModel();
  const LocalTrainingConfig config{.steps = 7, .learning_rate = 0.2, .batch_size = 16};
  SecureRandom a = SecureRandom::ForTesting(9);
  SecureRandom b = SecureRandom::ForTesting(9);
  SecureRandom c = SecureRandom::ForTesting(10);
  const LocalTrainingResult ra = TrainLocal(global, data, config, a);
  const LocalTrainingResult rb = TrainLocal(global, data, config, b);
  const LocalTrainingResult rc = TrainLocal(global, data, config, c);
  EXPECT_EQ(ra.delta, rb.delta);
  EXPECT_GT(MaxAbs(ra.delta - rc.delta), 1e-6);
  EXPECT_EQ(ra.examples_used, 7 * 16);
  EXPECT_DOUBLE_EQ(ra.mean_batch_size, 16.0);

  // Minibatch gradients are noisy estimates, not the full gradient.
  LocalTrainingConfig full = config;
  full.batch_size = 0;
  SecureRandom d = SecureRandom::ForTesting(9);
  EXPECT_GT(MaxAbs(ra.delta - TrainLocal(global, data, full, d).delta), 1e-6);
}

TEST(TrainLocalTest, BatchAtLeastDataSizeIsFullBatch) {
  const data::Dataset data = MakeToyData(50, kDim, 6);
  const ToyLogistic global = StartingModel();
  LocalTrainingConfig config{.steps = 3, .learning_rate = 0.2, .batch_size = 50};
  SecureRandom rng = SecureRandom::ForTesting(6);
  const Eigen::VectorXd exact = TrainLocal(global, data, config, rng).delta;
  config.batch_size = 0;
  EXPECT_LT(MaxAbs(exact - TrainLocal(global, data, config, rng).delta), 1e-12);
}

TEST(TrainLocalTest, DpWithRateOneAndNegligibleNoiseIsClippedGradientDescent) {
  const data::Dataset data = MakeToyData(120, kDim, 7);
  const ToyLogistic global = StartingModel();
  LocalTrainingConfig config{.steps = 4, .learning_rate = 0.3, .batch_size = 0};
  SecureRandom rng = SecureRandom::ForTesting(7);
  const Eigen::VectorXd plain = TrainLocal(global, data, config, rng).delta;

  // q = 1 takes every example; a huge C clips nothing; sigma ~ 0 adds nothing.
  config.dp = DpSgdConfig{.sampling_rate = 1.0, .noise_multiplier = 1e-15, .clip_norm = 1e6};
  const LocalTrainingResult dp = TrainLocal(global, data, config, rng);
  EXPECT_LT(MaxAbs(dp.delta - plain), 1e-9);
  EXPECT_EQ(dp.examples_used, 4 * 120);
}

TEST(TrainLocalTest, DpClippingBoundsEachStep) {
  const data::Dataset data = MakeToyData(120, kDim, 8);
  const ToyLogistic global = StartingModel(/*l2=*/0.0);
  const double lr = 0.5, clip = 0.01;
  LocalTrainingConfig config{
      .steps = 5,
      .learning_rate = lr,
      .dp = DpSgdConfig{.sampling_rate = 1.0, .noise_multiplier = 1e-15, .clip_norm = clip}};
  SecureRandom rng = SecureRandom::ForTesting(8);
  const LocalTrainingResult result = TrainLocal(global, data, config, rng);
  // With q = 1 each step's gradient is a mean of vectors of norm <= C.
  const double bound = 5 * lr * clip;
  EXPECT_LE(result.delta.norm(), bound + 1e-12);
  EXPECT_GT(result.delta.norm(), 0.0);
  // Without clipping the same run moves far more: the bound did bind.
  config.dp->clip_norm = 1e6;
  EXPECT_GT(TrainLocal(global, data, config, rng).delta.norm(), 10 * bound);
}

TEST(TrainLocalTest, DpRealizedBatchSizeAveragesQN) {
  const data::Dataset data = MakeToyData(400, kDim, 9);
  const ToyLogistic global = StartingModel();
  const LocalTrainingConfig config{
      .steps = 500,
      .learning_rate = 0.01,
      .dp = DpSgdConfig{.sampling_rate = 0.05, .noise_multiplier = 1.0, .clip_norm = 1.0}};
  SecureRandom rng = SecureRandom::ForTesting(9);
  const LocalTrainingResult result = TrainLocal(global, data, config, rng);
  // q N = 20; standard error of the mean over 500 steps ~ 0.2.
  EXPECT_NEAR(result.mean_batch_size, 20.0, 1.0);
  EXPECT_EQ(result.steps, 500);
}

TEST(TrainLocalTest, DpNoiseMakesRunsDiffer) {
  const data::Dataset data = MakeToyData(100, kDim, 10);
  const ToyLogistic global = StartingModel();
  const LocalTrainingConfig config{
      .steps = 2,
      .learning_rate = 0.1,
      .dp = DpSgdConfig{.sampling_rate = 0.5, .noise_multiplier = 1.0, .clip_norm = 1.0}};
  SecureRandom a = SecureRandom::ForTesting(1);
  SecureRandom b = SecureRandom::ForTesting(1);
  SecureRandom c = SecureRandom::ForTesting(2);
  const Eigen::VectorXd da = TrainLocal(global, data, config, a).delta;
  EXPECT_EQ(da, TrainLocal(global, data, config, b).delta);
  EXPECT_GT(MaxAbs(da - TrainLocal(global, data, config, c).delta), 1e-6);
}

std::string WhereOf(const LocalTrainingConfig& config) {
  try {
    ValidateLocalTrainingConfig(config);
  } catch (const ConfigError& e) {
    return e.where();
  }
  return "(accepted)";
}

TEST(ValidateLocalTrainingConfigTest, NamesTheInvalidField) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(WhereOf({}), "(accepted)");
  EXPECT_EQ(WhereOf({.steps = 0}), "local_training.steps");
  EXPECT_EQ(WhereOf({.learning_rate = 0.0}), "local_training.learning_rate");
  EXPECT_EQ(WhereOf({.learning_rate = nan}), "local_training.learning_rate");
  EXPECT_EQ(WhereOf({.batch_size = -1}), "local_training.batch_size");
  EXPECT_EQ(WhereOf({.momentum = 1.0}), "local_training.momentum");
  EXPECT_EQ(WhereOf({.proximal_mu = -0.1}), "local_training.proximal_mu");
  EXPECT_EQ(WhereOf({.dp = DpSgdConfig{0.0, 1.0, 1.0}}), "local_training.dp.sampling_rate");
  EXPECT_EQ(WhereOf({.dp = DpSgdConfig{0.1, 0.0, 1.0}}), "local_training.dp.noise_multiplier");
  EXPECT_EQ(WhereOf({.dp = DpSgdConfig{0.1, 1.0, 0.0}}), "local_training.dp.clip_norm");
}

TEST(TrainLocalTest, RejectsDataThatDoesNotFitTheModel) {
  const ToyLogistic global = StartingModel();
  SecureRandom rng = SecureRandom::ForTesting(1);
  const LocalTrainingConfig config;

  const data::Dataset wrong_width = MakeToyData(10, kDim + 1, 1);
  EXPECT_THROW(TrainLocal(global, wrong_width, config, rng), ConfigError);

  data::Dataset bad_label = MakeToyData(10, kDim, 1);
  bad_label.y(3) = 2;
  try {
    TrainLocal(global, bad_label, config, rng);
    ADD_FAILURE() << "accepted label 2 for a binary model";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("row 3 has label 2"), std::string::npos) << e.what();
  }

  data::Dataset empty = MakeToyData(10, kDim, 1);
  empty.x.resize(0, kDim);
  empty.y.resize(0);
  EXPECT_THROW(TrainLocal(global, empty, config, rng), ConfigError);

  data::Dataset short_labels = MakeToyData(10, kDim, 1);
  short_labels.y.conservativeResize(9);
  EXPECT_THROW(TrainLocal(global, short_labels, config, rng), ConfigError);
}

}  // namespace
}  // namespace fedcrm::train
