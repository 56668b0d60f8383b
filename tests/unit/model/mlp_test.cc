#include "core/model/mlp.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/common/error.h"
#include "tests/unit/model/gradient_check.h"

namespace fedcrm::model {
namespace {

using testing::RandomBatch;

ModelSpec Spec(int input_dim, std::vector<int> hidden, int num_classes, double l2) {
  ModelSpec spec;
  spec.type = "mlp";
  spec.input_dim = input_dim;
  spec.hidden_layers = std::move(hidden);
  spec.num_classes = num_classes;
  spec.l2 = l2;
  return spec;
}

// He init leaves biases at zero; random biases exercise their gradients.
Mlp GenericModel(const ModelSpec& spec, unsigned seed) {
  Mlp model(spec, seed);
  Eigen::VectorXd params = model.Parameters();
  const Eigen::VectorXd noise = RandomBatch(params.size(), 1, 2, seed + 100).x.col(0);
  for (const TensorSlice& slice : model.Layout()) {
    if (slice.name.ends_with(".bias")) {
      params.segment(slice.offset, slice.size()) = 0.3 * noise.segment(slice.offset, slice.size());
    }
  }
  model.SetParameters(params);
  return model;
}

TEST(MlpTest, LayoutNamesEveryLayer) {
  const Mlp model(Spec(4, {5, 3}, 2, 0.0), 1);
  const std::vector<TensorSlice> layout = model.Layout();
  ASSERT_EQ(layout.size(), 6u);
  EXPECT_EQ(layout[0].name, "layer0.weight");
  EXPECT_EQ(layout[0].shape, (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(layout[1].name, "layer0.bias");
  EXPECT_EQ(layout[4].name, "layer2.weight");
  EXPECT_EQ(layout[4].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(layout[5].offset + layout[5].size(), model.NumParameters());
  EXPECT_EQ(model.NumParameters(), 5 * 4 + 5 + 3 * 5 + 3 + 2 * 3 + 2);
}

TEST(MlpTest, GradientsMatchFiniteDifferences) {
  struct Case {
    ModelSpec spec;
    unsigned seed;
  };
  const std::vector<Case> cases = {
      {Spec(4, {6}, 2, 0.0), 1},
      {Spec(4, {5, 3}, 3, 0.2), 2},
      {Spec(3, {4, 4, 4}, 4, 0.05), 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "layers " << c.spec.hidden_layers.size());
    const Mlp model = GenericModel(c.spec, c.seed);
    const auto batch = RandomBatch(7, c.spec.input_dim, c.spec.num_classes, c.seed + 50);
    testing::ExpectLossGradientMatchesFiniteDifferences(model, batch.x, batch.y);
    testing::ExpectPerExampleGradientsMatchFiniteDifferences(model, batch.x, batch.y);
    testing::ExpectMeanOfPerExampleGradientsIsBatchGradient(model, batch.x, batch.y);
  }
}

TEST(MlpTest, InitializationIsDeterministicAndHeScaled) {
  const ModelSpec spec = Spec(200, {100}, 2, 0.0);
  const Mlp a(spec, 42);
  const Mlp b(spec, 42);
  const Mlp c(spec, 43);
  EXPECT_EQ(a.Parameters(), b.Parameters());
  EXPECT_NE(a.Parameters(), c.Parameters());

  const TensorSlice first = a.Layout()[0];
  const Eigen::VectorXd weights = a.Parameters().segment(first.offset, first.size());
  const double mean = weights.mean();
  const double stddev = std::sqrt((weights.array() - mean).square().mean());
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(stddev, std::sqrt(2.0 / 200.0), 0.05 * std::sqrt(2.0 / 200.0));
  const TensorSlice bias = a.Layout()[1];
  EXPECT_TRUE(a.Parameters().segment(bias.offset, bias.size()).isZero());
}

TEST(MlpTest, PenaltyCoversWeightsOnly) {
  const Mlp model = GenericModel(Spec(3, {2}, 2, 0.5), 4);
  const Eigen::VectorXd penalty = model.PenaltyGradient();
  for (const TensorSlice& slice : model.Layout()) {
    const Eigen::VectorXd part = penalty.segment(slice.offset, slice.size());
    const Eigen::VectorXd params = model.Parameters().segment(slice.offset, slice.size());
    if (slice.name.ends_with(".bias")) {
      EXPECT_TRUE(part.isZero()) << slice.name;
    } else {
      EXPECT_EQ(part, 0.5 * params) << slice.name;
    }
  }
}

TEST(MlpTest, ExtremeLogitsStayFinite) {
  Mlp model = GenericModel(Spec(3, {8}, 3, 0.0), 5);
  model.SetParameters(model.Parameters() * 300.0);  // logits reach ~1e5
  const auto batch = RandomBatch(12, 3, 3, 6);
  Eigen::VectorXd gradient;
  EXPECT_TRUE(std::isfinite(model.LossAndGradient(batch.x, batch.y, &gradient)));
  EXPECT_TRUE(gradient.allFinite());
  Eigen::MatrixXd per_example;
  model.PerExampleGradients(batch.x, batch.y, &per_example);
  EXPECT_TRUE(per_example.allFinite());
  testing::ExpectProbabilitiesAreDistributions(model.PredictProba(batch.x));
}

TEST(MlpTest, BinaryIsATwoWaySoftmax) {
  const Mlp model = GenericModel(Spec(2, {3}, 2, 0.0), 7);
  const Eigen::MatrixXd proba = model.PredictProba(RandomBatch(5, 2, 2, 8).x);
  EXPECT_EQ(proba.cols(), 2);
  testing::ExpectProbabilitiesAreDistributions(proba);
}

TEST(MlpTest, PerExampleGradientsOfEmptyBatch) {
  const Mlp model(Spec(2, {3}, 2, 0.0), 1);
  Eigen::MatrixXd per_example;
  model.PerExampleGradients(Eigen::MatrixXd(0, 2), Eigen::VectorXi(0), &per_example);
  EXPECT_EQ(per_example.rows(), model.NumParameters());
  EXPECT_EQ(per_example.cols(), 0);
}

TEST(MlpTest, RejectsWrongWidth) {
  const Mlp model(Spec(2, {3}, 2, 0.0), 1);
  EXPECT_THROW(model.PredictProba(Eigen::MatrixXd::Zero(3, 5)), DataError);
}

}  // namespace
}  // namespace fedcrm::model
