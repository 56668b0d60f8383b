#include "core/model/softmax_regression.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/common/error.h"
#include "tests/unit/model/gradient_check.h"

namespace fedcrm::model {
namespace {

using testing::RandomBatch;

ModelSpec Spec(int input_dim, int num_classes, double l2) {
  ModelSpec spec;
  spec.type = "softmax";
  spec.input_dim = input_dim;
  spec.num_classes = num_classes;
  spec.l2 = l2;
  return spec;
}

SoftmaxRegression RandomModel(const ModelSpec& spec, unsigned seed) {
  SoftmaxRegression model(spec);
  model.SetParameters(RandomBatch(model.NumParameters(), 1, 2, seed).x.col(0) * 0.7);
  return model;
}

TEST(SoftmaxRegressionTest, LayoutIsRowMajorWeightThenBias) {
  SoftmaxRegression model(Spec(3, 4, 0.0));
  ASSERT_EQ(model.NumParameters(), 16);
  const std::vector<TensorSlice> layout = model.Layout();
  ASSERT_EQ(layout.size(), 2u);
  EXPECT_EQ(layout[0].shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(layout[1].shape, std::vector<int64_t>{4});
  EXPECT_EQ(layout[1].offset, 12);

  // Row-major: parameter c * input_dim + j multiplies feature j for class c.
  Eigen::VectorXd params = Eigen::VectorXd::Zero(16);
  params(1 * 3 + 2) = 5.0;  // class 1, feature 2
  model.SetParameters(params);
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(1, 3);
  x(0, 2) = 1.0;
  const Eigen::MatrixXd proba = model.PredictProba(x);
  const double e5 = std::exp(5.0);
  EXPECT_NEAR(proba(0, 1), e5 / (e5 + 3.0), 1e-15);
}

TEST(SoftmaxRegressionTest, GradientsMatchFiniteDifferences) {
  for (double l2 : {0.0, 0.25}) {
    const SoftmaxRegression model = RandomModel(Spec(4, 3, l2), 21);
    const auto batch = RandomBatch(8, 4, 3, 22);
    testing::ExpectLossGradientMatchesFiniteDifferences(model, batch.x, batch.y);
    testing::ExpectPerExampleGradientsMatchFiniteDifferences(model, batch.x, batch.y);
    testing::ExpectMeanOfPerExampleGradientsIsBatchGradient(model, batch.x, batch.y);
  }
}

TEST(SoftmaxRegressionTest, TwoClassesWork) {
  const SoftmaxRegression model = RandomModel(Spec(2, 2, 0.1), 3);
  const auto batch = RandomBatch(6, 2, 2, 4);
  testing::ExpectLossGradientMatchesFiniteDifferences(model, batch.x, batch.y);
}

TEST(SoftmaxRegressionTest, PenaltyExcludesBiases) {
  SoftmaxRegression model(Spec(1, 2, 1.0));
  model.SetParameters(Eigen::Vector4d(2.0, 3.0, 7.0, 7.0));
  EXPECT_EQ(model.PenaltyGradient(), Eigen::Vector4d(2.0, 3.0, 0.0, 0.0));
}

TEST(SoftmaxRegressionTest, UniformAtZero) {
  SoftmaxRegression model(Spec(2, 4, 0.0));
  const auto batch = RandomBatch(5, 2, 4, 1);
  EXPECT_NEAR(model.LossAndGradient(batch.x, batch.y, nullptr), std::log(4.0), 1e-15);
}

TEST(SoftmaxRegressionTest, ExtremeLogitsStayFinite) {
  SoftmaxRegression model = RandomModel(Spec(3, 3, 0.0), 8);
  model.SetParameters(model.Parameters() * 1e4);
  const auto batch = RandomBatch(10, 3, 3, 9);
  Eigen::VectorXd gradient;
  const double loss = model.LossAndGradient(batch.x, batch.y, &gradient);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_GT(loss, 100.0);  // some labels are confidently wrong
  EXPECT_TRUE(gradient.allFinite());
  Eigen::MatrixXd per_example;
  model.PerExampleGradients(batch.x, batch.y, &per_example);
  EXPECT_TRUE(per_example.allFinite());
  testing::ExpectProbabilitiesAreDistributions(model.PredictProba(batch.x));
}

TEST(SoftmaxRegressionTest, RejectsLabelsOutOfRange) {
  SoftmaxRegression model(Spec(2, 3, 0.0));
  Eigen::MatrixXd per_example;
  EXPECT_THROW(
      model.PerExampleGradients(Eigen::MatrixXd::Zero(2, 2), Eigen::Vector2i(0, 3), &per_example),
      DataError);
  EXPECT_THROW(
      model.PerExampleGradients(Eigen::MatrixXd::Zero(2, 2), Eigen::Vector2i(-1, 0), &per_example),
      DataError);
}

}  // namespace
}  // namespace fedcrm::model
