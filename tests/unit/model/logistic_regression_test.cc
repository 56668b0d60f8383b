#include "core/model/logistic_regression.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/common/error.h"
#include "tests/unit/model/gradient_check.h"

namespace fedcrm::model {
namespace {

using testing::RandomBatch;

ModelSpec Spec(int input_dim, double l2) {
  ModelSpec spec;
  spec.type = "logistic";
  spec.input_dim = input_dim;
  spec.l2 = l2;
  return spec;
}

// A model at a generic point, so no gradient term vanishes by symmetry.
LogisticRegression RandomModel(int input_dim, double l2, unsigned seed) {
  LogisticRegression model(Spec(input_dim, l2));
  model.SetParameters(RandomBatch(model.NumParameters(), 1, 2, seed).x.col(0) * 0.7);
  return model;
}

TEST(LogisticRegressionTest, LayoutIsWeightThenBias) {
  LogisticRegression model(Spec(5, 0.0));
  ASSERT_EQ(model.NumParameters(), 6);
  const std::vector<TensorSlice> layout = model.Layout();
  ASSERT_EQ(layout.size(), 2u);
  EXPECT_EQ(layout[0].name, "weight");
  EXPECT_EQ(layout[0].shape, std::vector<int64_t>{5});
  EXPECT_EQ(layout[1].name, "bias");
  EXPECT_EQ(layout[1].offset, 5);
  EXPECT_TRUE(model.Parameters().isZero());
}

TEST(LogisticRegressionTest, LossMatchesHandComputedCrossEntropy) {
  LogisticRegression model(Spec(2, 0.0));
  model.SetParameters(Eigen::Vector3d(1.0, -2.0, 0.5));
  Eigen::MatrixXd x(2, 2);
  x << 1.0, 0.0,  // z = 1.5
      0.0, 1.0;   // z = -1.5
  const Eigen::Vector2i y(1, 1);
  const double expected = 0.5 * (std::log1p(std::exp(-1.5)) + std::log1p(std::exp(1.5)));
  EXPECT_NEAR(model.LossAndGradient(x, y, nullptr), expected, 1e-15);
  const Eigen::MatrixXd proba = model.PredictProba(x);
  EXPECT_NEAR(proba(0, 1), 1.0 / (1.0 + std::exp(-1.5)), 1e-15);
  EXPECT_NEAR(proba(1, 0), 1.0 / (1.0 + std::exp(-1.5)), 1e-15);
}

TEST(LogisticRegressionTest, GradientsMatchFiniteDifferences) {
  for (double l2 : {0.0, 0.3}) {
    const LogisticRegression model = RandomModel(4, l2, 11);
    const auto batch = RandomBatch(9, 4, 2, 12);
    testing::ExpectLossGradientMatchesFiniteDifferences(model, batch.x, batch.y);
    testing::ExpectPerExampleGradientsMatchFiniteDifferences(model, batch.x, batch.y);
    testing::ExpectMeanOfPerExampleGradientsIsBatchGradient(model, batch.x, batch.y);
  }
}

TEST(LogisticRegressionTest, PenaltyExcludesBias) {
  LogisticRegression model(Spec(2, 2.0));
  model.SetParameters(Eigen::Vector3d(1.0, -3.0, 5.0));
  EXPECT_EQ(model.PenaltyGradient(), Eigen::Vector3d(2.0, -6.0, 0.0));
  // Empty batch: the loss is the penalty alone, 0.5 * 2 * (1 + 9).
  Eigen::VectorXd gradient;
  EXPECT_DOUBLE_EQ(model.LossAndGradient(Eigen::MatrixXd(0, 2), Eigen::VectorXi(0), &gradient),
                   10.0);
  EXPECT_EQ(gradient, model.PenaltyGradient());
}

TEST(LogisticRegressionTest, ExtremeLogitsStayFinite) {
  LogisticRegression model(Spec(1, 0.0));
  model.SetParameters(Eigen::Vector2d(1e4, 0.0));
  Eigen::MatrixXd x(4, 1);
  x << 1.0, -1.0, 1.0, -1.0;            // z = +-1e4
  const Eigen::Vector4i y(1, 0, 0, 1);  // two confident hits, two confident misses
  Eigen::VectorXd gradient;
  const double loss = model.LossAndGradient(x, y, &gradient);
  EXPECT_NEAR(loss, 0.5 * 1e4, 1e-9);
  EXPECT_TRUE(gradient.allFinite());
  Eigen::MatrixXd per_example;
  model.PerExampleGradients(x, y, &per_example);
  EXPECT_TRUE(per_example.allFinite());
  const Eigen::MatrixXd proba = model.PredictProba(x);
  testing::ExpectProbabilitiesAreDistributions(proba);
  EXPECT_EQ(proba(0, 1), 1.0);
  EXPECT_EQ(proba(1, 1), 0.0);
}

TEST(LogisticRegressionTest, ProbabilitiesSumToOne) {
  const LogisticRegression model = RandomModel(3, 0.0, 5);
  testing::ExpectProbabilitiesAreDistributions(model.PredictProba(RandomBatch(20, 3, 2, 6).x));
}

TEST(LogisticRegressionTest, RejectsBadBatches) {
  LogisticRegression model(Spec(3, 0.0));
  Eigen::VectorXd gradient;
  EXPECT_THROW(model.LossAndGradient(Eigen::MatrixXd::Zero(2, 4), Eigen::Vector2i(0, 1), &gradient),
               DataError);
  EXPECT_THROW(model.LossAndGradient(Eigen::MatrixXd::Zero(2, 3), Eigen::Vector2i(0, 2), &gradient),
               DataError);
  EXPECT_THROW(
      model.LossAndGradient(Eigen::MatrixXd::Zero(2, 3), Eigen::Vector3i(0, 1, 1), &gradient),
      DataError);
  EXPECT_THROW(model.PredictProba(Eigen::MatrixXd::Zero(1, 2)), DataError);
  EXPECT_THROW(model.SetParameters(Eigen::VectorXd::Zero(3)), DataError);
  EXPECT_THROW(model.SetParameters(Eigen::Vector4d(0, std::nan(""), 0, 0)), DataError);
}

TEST(LogisticRegressionTest, CloneIsIndependent) {
  LogisticRegression model = RandomModel(3, 0.0, 9);
  std::unique_ptr<Model> copy = model.Clone();
  model.SetParameters(Eigen::VectorXd::Zero(4));
  EXPECT_FALSE(copy->Parameters().isZero());
  EXPECT_EQ(copy->spec().type, "logistic");
}

}  // namespace
}  // namespace fedcrm::model
