#include "core/model/evaluation_sums.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/common/error.h"
#include "core/model/logistic_regression.h"
#include "core/model/softmax_regression.h"

namespace fedcrm::model {
namespace {

// A noisy binary problem: label 1 more likely as feature 0 grows.
data::Dataset RandomBinary(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  data::Dataset dataset;
  dataset.num_classes = 2;
  dataset.x.resize(rows, 2);
  dataset.y.resize(rows);
  for (int i = 0; i < rows; ++i) {
    dataset.x(i, 0) = normal(rng);
    dataset.x(i, 1) = normal(rng);
    dataset.y(i) = dataset.x(i, 0) + normal(rng) > 0 ? 1 : 0;
  }
  return dataset;
}

data::Dataset RandomMulticlass(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  data::Dataset dataset;
  dataset.num_classes = 3;
  dataset.class_names = {"email", "phone", "chat"};
  dataset.x.resize(rows, 2);
  dataset.y.resize(rows);
  for (int i = 0; i < rows; ++i) {
    dataset.x(i, 0) = normal(rng);
    dataset.x(i, 1) = normal(rng);
    const double a = dataset.x(i, 0) + 0.7 * normal(rng);
    const double b = dataset.x(i, 1) + 0.7 * normal(rng);
    dataset.y(i) = a > 0.5 ? 0 : (b > 0 ? 1 : 2);
  }
  return dataset;
}

LogisticRegression BinaryModel() {
  ModelSpec spec;
  spec.input_dim = 2;
  LogisticRegression model(spec);
  model.SetParameters(Eigen::Vector3d(1.3, 0.2, -0.1));
  return model;
}

SoftmaxRegression MulticlassModel() {
  ModelSpec spec;
  spec.type = "softmax";
  spec.input_dim = 2;
  spec.num_classes = 3;
  SoftmaxRegression model(spec);
  Eigen::VectorXd params(9);
  params << 1.2, 0.1, 0.0, 1.1, -0.4, -0.6, 0.2, -0.1, 0.3;
  model.SetParameters(params);
  return model;
}

// The federated sums of silos' parts must give the metrics of the pooled rows.
TEST(EvaluationSumsTest, BinarySumsOfPartsMatchEvaluateOnTheWhole) {
  const LogisticRegression model = BinaryModel();
  const data::Dataset all = RandomBinary(3000, 11);
  std::vector<Eigen::Index> first, second;
  for (Eigen::Index i = 0; i < all.rows(); ++i) (i % 3 == 0 ? first : second).push_back(i);

  EvaluationSums sums = EvaluationSums::Compute(model, all.Subset(first));
  sums += EvaluationSums::Compute(model, all.Subset(second));
  const Evaluation federated = sums.ToEvaluation();
  const Evaluation pooled = Evaluate(model, all);

  EXPECT_EQ(federated.examples, 3000);
  EXPECT_NEAR(federated.accuracy, pooled.accuracy, 1e-12);
  EXPECT_NEAR(federated.log_loss, pooled.log_loss, 1e-12);
  EXPECT_NEAR(federated.brier, pooled.brier, 1e-12);
  // Binned to 1/1000 of probability: close, not equal.
  EXPECT_NEAR(federated.roc_auc, pooled.roc_auc, 1e-3);
  EXPECT_NEAR(federated.pr_auc, pooled.pr_auc, 2e-3);
  EXPECT_GT(federated.roc_auc, 0.75);  // the model does rank: the test is not vacuous
  EXPECT_EQ(federated.PrimaryMetric(), "roc_auc");
}

TEST(EvaluationSumsTest, BinnedAucMatchesExactWhenScoresFallInDistinctBins) {
  // Scores 0.1 .. 0.9 land in distinct bins, so binning loses nothing, and
  // the tie at 0.35 (two rows) is a tie in both.
  std::vector<double> vector = EvaluationSums(2).ToVector();
  const std::vector<double> scores = {0.1, 0.35, 0.35, 0.8, 0.9};
  const std::vector<int> labels = {0, 1, 0, 1, 0};
  for (size_t i = 0; i < scores.size(); ++i) {
    const size_t bin = static_cast<size_t>(std::floor(scores[i] * kEvaluationScoreBins));
    vector[4 + (labels[i] == 1 ? bin : kEvaluationScoreBins + bin)] += 1;
  }
  vector[0] = 5;
  const Evaluation eval = EvaluationSums::FromVector(vector, 2, "test").ToEvaluation();
  Eigen::VectorXd s(5);
  Eigen::VectorXi y(5);
  for (int i = 0; i < 5; ++i) {
    s(i) = scores[static_cast<size_t>(i)];
    y(i) = labels[static_cast<size_t>(i)];
  }
  EXPECT_DOUBLE_EQ(eval.roc_auc, RocAuc(s, y));
  EXPECT_DOUBLE_EQ(eval.pr_auc, AveragePrecision(s, y));
}

TEST(EvaluationSumsTest, MulticlassSumsMatchEvaluateExactly) {
  const SoftmaxRegression model = MulticlassModel();
  const data::Dataset all = RandomMulticlass(1200, 5);
  std::vector<Eigen::Index> first, second;
  for (Eigen::Index i = 0; i < all.rows(); ++i) (i < 400 ? first : second).push_back(i);

  EvaluationSums sums = EvaluationSums::Compute(model, all.Subset(first));
  sums += EvaluationSums::Compute(model, all.Subset(second));
  const Evaluation federated = sums.ToEvaluation(all.class_names);
  const Evaluation pooled = Evaluate(model, all);

  EXPECT_NEAR(federated.accuracy, pooled.accuracy, 1e-12);
  EXPECT_NEAR(federated.log_loss, pooled.log_loss, 1e-12);
  EXPECT_NEAR(federated.brier, pooled.brier, 1e-12);
  EXPECT_NEAR(federated.macro_f1, pooled.macro_f1, 1e-12);
  const auto federated_map = federated.ToMap();
  const auto pooled_map = pooled.ToMap();
  ASSERT_EQ(federated_map.size(), pooled_map.size());
  for (const auto& [name, value] : pooled_map) {
    EXPECT_NEAR(federated_map.at(name), value, 1e-12) << name;
  }
  EXPECT_TRUE(federated_map.count("recall.chat"));
  EXPECT_TRUE(std::isnan(federated.roc_auc));
}

TEST(EvaluationSumsTest, VectorRoundTripsThroughFixedPointLikeRounding) {
  const SoftmaxRegression model = MulticlassModel();
  const EvaluationSums sums = EvaluationSums::Compute(model, RandomMulticlass(300, 2));
  std::vector<double> vector = sums.ToVector();
  ASSERT_EQ(vector.size(), EvaluationSums::VectorLength(3));
  EXPECT_EQ(vector.size(), 4u + 9u);
  for (double& value : vector) value += 3e-7;  // what a fixed-point sum may carry
  const EvaluationSums back = EvaluationSums::FromVector(vector, 3, "test");
  EXPECT_EQ(back.examples(), 300);
  EXPECT_NEAR(back.ToEvaluation().accuracy, sums.ToEvaluation().accuracy, 1e-12);
  EXPECT_EQ(EvaluationSums::VectorLength(2), 4u + 2u * kEvaluationScoreBins);
}

TEST(EvaluationSumsTest, EmptyDataGivesZeroSumsAndUndefinedMetrics) {
  const LogisticRegression model = BinaryModel();
  data::Dataset empty;
  empty.x.resize(0, 2);
  const EvaluationSums sums = EvaluationSums::Compute(model, empty);
  EXPECT_EQ(sums.examples(), 0);
  const Evaluation eval = sums.ToEvaluation();
  EXPECT_TRUE(std::isnan(eval.accuracy));
  EXPECT_TRUE(std::isnan(eval.roc_auc));
}

TEST(EvaluationSumsTest, OneClassLeavesAucUndefined) {
  const LogisticRegression model = BinaryModel();
  data::Dataset dataset = RandomBinary(50, 3);
  dataset.y.setZero();
  const Evaluation eval = EvaluationSums::Compute(model, dataset).ToEvaluation();
  EXPECT_TRUE(std::isnan(eval.roc_auc));
  EXPECT_TRUE(std::isnan(eval.pr_auc));
  EXPECT_FALSE(std::isnan(eval.accuracy));
}

TEST(EvaluationSumsTest, RefusesBadVectorsNamingThePlace) {
  std::vector<double> vector = EvaluationSums(2).ToVector();
  try {
    EvaluationSums::FromVector(std::vector<double>(5, 0.0), 2, "round r/evaluation");
    FAIL() << "a short vector was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("round r/evaluation"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2004"), std::string::npos) << e.what();
  }
  vector[10] = -4;
  EXPECT_THROW(EvaluationSums::FromVector(vector, 2, "test"), DataError);
  vector[10] = std::nan("");
  EXPECT_THROW(EvaluationSums::FromVector(vector, 2, "test"), DataError);
  vector[10] = 0;
  vector[1] = -1;  // a log-loss sum is never negative
  EXPECT_THROW(EvaluationSums::FromVector(vector, 2, "test"), DataError);
}

TEST(EvaluationSumsTest, RefusesDatasetsThatDoNotFitTheModel) {
  const LogisticRegression model = BinaryModel();
  data::Dataset three = RandomBinary(10, 1);
  three.num_classes = 3;
  EXPECT_THROW(EvaluationSums::Compute(model, three), DataError);
  data::Dataset bad_label = RandomBinary(10, 1);
  bad_label.y(4) = 2;
  EXPECT_THROW(EvaluationSums::Compute(model, bad_label), DataError);
  EvaluationSums binary(2);
  EXPECT_THROW(binary += EvaluationSums(3), ConfigError);
  EXPECT_THROW(EvaluationSums(1), ConfigError);
}

}  // namespace
}  // namespace fedcrm::model
