#include "core/train/dp_sgd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/common/error.h"
#include "tests/unit/train/toy_models.h"

namespace fedcrm::train {
namespace {

using fedcrm::testing::ConstantGradientModel;
using fedcrm::testing::MakeToyData;
using fedcrm::testing::ToyLogistic;

std::vector<Eigen::Index> AllRows(Eigen::Index n) {
  std::vector<Eigen::Index> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), Eigen::Index{0});
  return rows;
}

TEST(ClipPerExampleTest, ClippedColumnsHaveNormAtMostCAndOthersAreUnchanged) {
  SecureRandom rng = SecureRandom::ForTesting(11);
  const double clip = 1.5;
  Eigen::MatrixXd grads(6, 200);
  for (Eigen::Index j = 0; j < grads.cols(); ++j) {
    // Norms ~ sqrt(6) * scale from ~0 to ~5, so both sides of C are well represented.
    const double scale = 0.01 + 2.0 * rng.Uniform();
    for (Eigen::Index i = 0; i < grads.rows(); ++i) grads(i, j) = scale * rng.Gaussian();
  }
  const Eigen::MatrixXd original = grads;
  const int64_t clipped = ClipPerExample(&grads, clip);

  int64_t expected_clipped = 0;
  for (Eigen::Index j = 0; j < grads.cols(); ++j) {
    const double before = original.col(j).norm();
    EXPECT_LE(grads.col(j).norm(), clip + 1e-12);
    if (before > clip) {
      ++expected_clipped;
      EXPECT_NEAR(grads.col(j).norm(), clip, 1e-12);
      // Same direction: the clipped column is a positive multiple.
      EXPECT_LT((grads.col(j) - original.col(j) * (clip / before)).norm(), 1e-12);
    } else {
      EXPECT_EQ(grads.col(j), original.col(j)) << "column " << j;
    }
  }
  EXPECT_EQ(clipped, expected_clipped);
  EXPECT_GT(expected_clipped, 20);
  EXPECT_LT(expected_clipped, 180);
}

TEST(ClipPerExampleTest, NonFiniteColumnIsZeroed) {
  Eigen::MatrixXd grads = Eigen::MatrixXd::Ones(3, 3) * 0.1;
  grads(1, 0) = std::numeric_limits<double>::infinity();
  grads(2, 2) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ClipPerExample(&grads, 1.0), 2);
  EXPECT_TRUE(grads.col(0).isZero(0.0));
  EXPECT_TRUE(grads.col(2).isZero(0.0));
  EXPECT_EQ(grads.col(1), Eigen::Vector3d::Constant(0.1));
}

TEST(ClippedGradientSumTest, MatchesUnchunkedComputationOnLargeBatch) {
  // 2500 rows span several chunks of per-example gradients.
  const data::Dataset data = MakeToyData(2500, 4, 21);
  ToyLogistic model(4, 0.0);
  model.SetParameters((Eigen::VectorXd(5) << 1.5, -2.0, 0.5, 3.0, 0.2).finished());
  std::vector<Eigen::Index> batch = AllRows(data.rows());
  batch.push_back(3);  // a repeated index counts twice

  int64_t clipped = -1;
  const Eigen::VectorXd sum = ClippedGradientSum(model, data, batch, 0.8, &clipped);

  Eigen::MatrixXd x(static_cast<Eigen::Index>(batch.size()), 4);
  Eigen::VectorXi y(x.rows());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    x.row(i) = data.x.row(batch[static_cast<size_t>(i)]);
    y(i) = data.y(batch[static_cast<size_t>(i)]);
  }
  Eigen::MatrixXd grads;
  model.PerExampleGradients(x, y, &grads);
  const int64_t expected_clipped = ClipPerExample(&grads, 0.8);
  const Eigen::VectorXd expected = grads.rowwise().sum();

  EXPECT_LT((sum - expected).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_EQ(clipped, expected_clipped);
  EXPECT_GT(clipped, 0);
}

TEST(NoisyClippedSumTest, NoiseOnTheSumHasStddevSigmaTimesC) {
  // Zero per-example gradients: everything in the output is noise.
  const Eigen::Index dims = 40000;
  ConstantGradientModel model(2, Eigen::VectorXd::Zero(dims), Eigen::VectorXd::Zero(dims));
  const data::Dataset data = MakeToyData(10, 2, 1);
  const DpSgdConfig dp{.sampling_rate = 1.0, .noise_multiplier = 1.3, .clip_norm = 0.7};
  SecureRandom rng = SecureRandom::ForTesting(31);

  PrivateGradientStats stats;
  const Eigen::VectorXd noisy = NoisyClippedSum(model, data, AllRows(10), dp, rng, &stats);
  const double mean = noisy.mean();
  const double stddev =
      std::sqrt((noisy.array() - mean).square().sum() / static_cast<double>(dims - 1));
  const double expected = dp.noise_multiplier * dp.clip_norm;
  // Relative standard error of the sample stddev is 1/sqrt(2 * 40000) ~ 0.35%.
  EXPECT_NEAR(stddev, expected, 0.05 * expected);
  EXPECT_NEAR(mean, 0.0, 0.05 * expected);
  EXPECT_EQ(stats.batch_size, 10);
  EXPECT_EQ(stats.num_clipped, 0);
}

TEST(PrivateGradientTest, DividesByExpectedNotRealizedBatchSize) {
  // Each example's gradient (norm 0.5 < C) survives clipping unchanged; with
  // negligible noise the result is realized * g / (q * N) + penalty.
  const Eigen::Vector3d g(0.3, -0.4, 0.0);
  const Eigen::Vector3d penalty(0.01, 0.02, -0.03);
  ConstantGradientModel model(2, g, penalty);
  const data::Dataset data = MakeToyData(1000, 2, 2);
  const DpSgdConfig dp{.sampling_rate = 0.5, .noise_multiplier = 1e-12, .clip_norm = 1.0};
  std::vector<Eigen::Index> batch = AllRows(300);  // realized 300, expected 500
  SecureRandom rng = SecureRandom::ForTesting(5);

  const Eigen::VectorXd gradient = PrivateGradient(model, data, batch, dp, rng);
  const Eigen::Vector3d expected = 300.0 * g / 500.0 + penalty;
  EXPECT_LT((gradient - expected).cwiseAbs().maxCoeff(), 1e-9);
}

TEST(PrivateGradientTest, IsNoisySumScaledPlusPenalty) {
  const Eigen::Vector2d g(3.0, 4.0);  // norm 5, clipped to C = 2
  const Eigen::Vector2d penalty(0.5, -0.5);
  ConstantGradientModel model(1, g, penalty);
  const data::Dataset data = MakeToyData(50, 1, 3);
  const DpSgdConfig dp{.sampling_rate = 0.2, .noise_multiplier = 0.9, .clip_norm = 2.0};
  const std::vector<Eigen::Index> batch = {1, 4, 9, 16, 25, 36, 49};

  SecureRandom rng_a = SecureRandom::ForTesting(8);
  SecureRandom rng_b = SecureRandom::ForTesting(8);
  PrivateGradientStats stats;
  const Eigen::VectorXd noisy = NoisyClippedSum(model, data, batch, dp, rng_a);
  const Eigen::VectorXd gradient = PrivateGradient(model, data, batch, dp, rng_b, &stats);
  EXPECT_LT((gradient - (noisy / (0.2 * 50) + penalty)).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_EQ(stats.batch_size, 7);
  EXPECT_EQ(stats.num_clipped, 7);
}

TEST(PoissonSampleTest, RealizedBatchSizeAveragesQTimesN) {
  SecureRandom rng = SecureRandom::ForTesting(41);
  const Eigen::Index n = 1000;
  const double q = 0.07;
  const int trials = 2000;
  double total = 0.0;
  for (int t = 0; t < trials; ++t) {
    const std::vector<Eigen::Index> sample = PoissonSample(n, q, rng);
    ASSERT_TRUE(std::is_sorted(sample.begin(), sample.end()));
    ASSERT_TRUE(std::adjacent_find(sample.begin(), sample.end()) == sample.end());
    if (!sample.empty()) {
      ASSERT_LT(sample.back(), n);
    }
    total += static_cast<double>(sample.size());
  }
  // Standard error sqrt(n q (1-q) / trials) ~ 0.18.
  EXPECT_NEAR(total / trials, q * static_cast<double>(n), 1.0);
}

TEST(PoissonSampleTest, RateOneTakesEveryExample) {
  SecureRandom rng = SecureRandom::ForTesting(42);
  EXPECT_EQ(PoissonSample(37, 1.0, rng), AllRows(37));
}

TEST(ValidateDpSgdConfigTest, RejectsEachInvalidFieldByName) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const DpSgdConfig good{.sampling_rate = 0.1, .noise_multiplier = 1.0, .clip_norm = 1.0};
  EXPECT_NO_THROW(ValidateDpSgdConfig(good));
  EXPECT_NO_THROW(ValidateDpSgdConfig({1.0, 1.0, 1.0}));

  struct Case {
    DpSgdConfig dp;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{0.0, 1.0, 1.0}, "dp.sampling_rate"},     {{1.5, 1.0, 1.0}, "dp.sampling_rate"},
      {{nan, 1.0, 1.0}, "dp.sampling_rate"},     {{0.1, 0.0, 1.0}, "dp.noise_multiplier"},
      {{0.1, -1.0, 1.0}, "dp.noise_multiplier"}, {{0.1, nan, 1.0}, "dp.noise_multiplier"},
      {{0.1, 1.0, 0.0}, "dp.clip_norm"},         {{0.1, 1.0, -2.0}, "dp.clip_norm"},
  };
  for (const Case& c : cases) {
    try {
      ValidateDpSgdConfig(c.dp);
      ADD_FAILURE() << "accepted invalid " << c.field;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.where(), c.field);
    }
  }
}

}  // namespace
}  // namespace fedcrm::train
