#include "core/model/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/common/error.h"
#include "core/model/logistic_regression.h"
#include "core/model/softmax_regression.h"

namespace fedcrm::model {
namespace {

Eigen::VectorXd Vec(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

Eigen::VectorXi Labels(const std::vector<int>& v) {
  return Eigen::Map<const Eigen::VectorXi>(v.data(), static_cast<Eigen::Index>(v.size()));
}

Eigen::MatrixXd BinaryProba(const Eigen::VectorXd& p) {
  Eigen::MatrixXd proba(p.size(), 2);
  proba.col(0) = 1.0 - p.array();
  proba.col(1) = p;
  return proba;
}

// Inputs and expected values of the sklearn cross-checks below were produced
// with scikit-learn 1.9.1 (numpy rng = default_rng(7); scores rounded to one
// decimal to create ties):
//   roc_auc_score(y, scores), average_precision_score(y, scores),
//   log_loss(y, c_[1-p, p]), brier_score_loss(y, p), accuracy_score(y, p > .5)
const std::vector<double> kScores = {0.6, 0.9, 0.8, 0.2, 0.3, 0.9, 0.0, 0.8, 0.8, 0.5, 0.3, 0.3,
                                     0.3, 0.4, 0.5, 0.6, 1.0, 0.8, 0.6, 1.0, 0.2, 0.2, 0.6, 0.0};
const std::vector<int> kLabels = {1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1,
                                  1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0};
const std::vector<double> kProbs = {0.508, 0.871, 0.361, 0.598, 0.059, 0.388, 0.323, 0.15,
                                    0.816, 0.379, 0.979, 0.59,  0.605, 0.638, 0.676, 0.151,
                                    0.44,  0.24,  0.402, 0.097, 0.968, 0.215, 0.672, 0.3};

TEST(RocAucTest, HandComputedCases) {
  EXPECT_DOUBLE_EQ(RocAuc(Vec({0.1, 0.4, 0.35, 0.8}), Labels({0, 0, 1, 1})), 0.75);
  EXPECT_DOUBLE_EQ(RocAuc(Vec({0.9, 0.8, 0.1}), Labels({1, 1, 0})), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc(Vec({0.1, 0.8, 0.9}), Labels({1, 0, 0})), 0.0);
}

TEST(RocAucTest, TiesCountOneHalf) {
  // Positives {0.5, 0.8, 0.5}, negatives {0.5, 0.2, 0.1}: 8 of 9 pairs, the
  // two positive-negative ties at 0.5 counting 1/2 each.
  EXPECT_DOUBLE_EQ(RocAuc(Vec({0.5, 0.5, 0.2, 0.8, 0.5, 0.1}), Labels({1, 0, 0, 1, 1, 0})),
                   8.0 / 9.0);
  // All scores equal: every pair is a tie.
  EXPECT_DOUBLE_EQ(RocAuc(Vec({0.3, 0.3, 0.3, 0.3}), Labels({1, 0, 1, 0})), 0.5);
}

TEST(RocAucTest, MatchesScikitLearn) {
  EXPECT_NEAR(RocAuc(Vec(kScores), Labels(kLabels)), 0.61071428571428577, 1e-15);
}

TEST(RocAucTest, OneClassIsNaN) {
  EXPECT_TRUE(std::isnan(RocAuc(Vec({0.2, 0.4}), Labels({1, 1}))));
  EXPECT_TRUE(std::isnan(RocAuc(Vec({0.2, 0.4}), Labels({0, 0}))));
  EXPECT_TRUE(std::isnan(RocAuc(Eigen::VectorXd(0), Eigen::VectorXi(0))));
}

TEST(RocAucTest, RejectsBadInput) {
  EXPECT_THROW(RocAuc(Vec({0.2, 0.4}), Labels({1, 2})), DataError);
  EXPECT_THROW(RocAuc(Vec({0.2, 0.4}), Labels({1})), DataError);
  EXPECT_THROW(RocAuc(Vec({0.2, std::nan("")}), Labels({1, 0})), DataError);
}

TEST(AveragePrecisionTest, HandComputedCase) {
  // Ranked: 0.8 (+) P=1 R=1/2; 0.4 (-); 0.35 (+) P=2/3 R=1; AP = 1/2 + 1/2 * 2/3.
  EXPECT_DOUBLE_EQ(AveragePrecision(Vec({0.1, 0.4, 0.35, 0.8}), Labels({0, 0, 1, 1})),
                   0.5 + 0.5 * 2.0 / 3.0);
}

TEST(AveragePrecisionTest, TiesFormOneThreshold) {
  // Threshold 0.8: tp 1 of 1 seen, P = 1, R = 1/3. Threshold 0.5 (three
  // tied scores, one step): tp 3 of 4 seen, P = 3/4, R = 1.
  // AP = 1/3 * 1 + 2/3 * 3/4 = 5/6; sklearn gives 0.83333333333333326.
  EXPECT_NEAR(AveragePrecision(Vec({0.5, 0.5, 0.2, 0.8, 0.5, 0.1}), Labels({1, 0, 0, 1, 1, 0})),
              0.83333333333333326, 1e-15);
}

TEST(AveragePrecisionTest, MatchesScikitLearn) {
  EXPECT_NEAR(AveragePrecision(Vec(kScores), Labels(kLabels)), 0.48359649122807014, 1e-15);
}

TEST(AveragePrecisionTest, NoPositiveIsNaN) {
  EXPECT_TRUE(std::isnan(AveragePrecision(Vec({0.2, 0.4}), Labels({0, 0}))));
  EXPECT_DOUBLE_EQ(AveragePrecision(Vec({0.2, 0.4}), Labels({1, 1})), 1.0);
}

TEST(LogLossTest, MatchesScikitLearnBinary) {
  EXPECT_NEAR(LogLoss(BinaryProba(Vec(kProbs)), Labels(kLabels)), 0.94196432996528101, 1e-14);
}

TEST(LogLossTest, MatchesScikitLearnMulticlass) {
  // sklearn: log_loss(yy, P, labels=[0, 1, 2]) with P and yy below.
  Eigen::MatrixXd proba(6, 3);
  proba << 0.374, 0.4334, 0.1926,                                      //
      0.0033000000000000004, 0.9168000000000001, 0.07990000000000001,  //
      0.4174, 0.0297, 0.5529,                                          //
      0.014901490149014901, 0.88998899889989, 0.09510951095109511,     //
      0.042, 0.3595, 0.5985,                                           //
      0.210978902109789, 0.45235476452354767, 0.33666633336666335;
  const Eigen::VectorXi y = Labels({2, 1, 0, 1, 0, 2});
  EXPECT_NEAR(LogLoss(proba, y), 1.1638351304353345, 1e-14);
  // Multiclass Brier: mean over rows of sum over classes (numpy, same data).
  EXPECT_NEAR(BrierScore(proba, y), 0.62577533287614973, 1e-14);
}

TEST(LogLossTest, ClipsCertainMistakes) {
  Eigen::MatrixXd proba(1, 2);
  proba << 1.0, 0.0;
  EXPECT_NEAR(LogLoss(proba, Labels({1})), -std::log(kLogLossEpsilon), 1e-9);
}

TEST(BrierScoreTest, MatchesScikitLearnBinary) {
  EXPECT_NEAR(BrierScore(BinaryProba(Vec(kProbs)), Labels(kLabels)), 0.30014225, 1e-15);
}

TEST(AccuracyTest, MatchesScikitLearnAndBreaksTiesLow) {
  EXPECT_DOUBLE_EQ(Accuracy(BinaryProba(Vec(kProbs)), Labels(kLabels)), 0.625);
  Eigen::MatrixXd tied(1, 3);
  tied << 0.4, 0.4, 0.2;
  EXPECT_EQ(PredictedClasses(tied)(0), 0);
}

TEST(MacroF1Test, MatchesScikitLearnAndSkipsAbsentClasses) {
  // sklearn f1_score(yt, yp, average="macro"); class 3 occurs in neither, so
  // it is left out of the average as sklearn does.
  const Eigen::VectorXi truth = Labels({1, 2, 0, 2, 2, 0, 2, 2, 1, 2, 2, 2, 2, 2, 1});
  const Eigen::VectorXi predicted = Labels({0, 1, 0, 2, 2, 0, 1, 0, 0, 1, 2, 2, 1, 1, 1});
  EXPECT_NEAR(MacroF1(predicted, truth, 4), 0.45502645502645506, 1e-15);
  // sklearn recall_score(yt, yp, average=None, labels=[0, 1, 2]).
  const std::vector<double> recall = PerClassRecall(predicted, truth, 4);
  ASSERT_EQ(recall.size(), 4u);
  EXPECT_DOUBLE_EQ(recall[0], 1.0);
  EXPECT_DOUBLE_EQ(recall[1], 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(recall[2], 0.4);
  EXPECT_TRUE(std::isnan(recall[3]));
}

TEST(MacroF1Test, HandComputed) {
  // Class 0: tp 1, fp 1, fn 0 -> 2/3. Class 1: tp 1, fp 0, fn 1 -> 2/3.
  EXPECT_DOUBLE_EQ(MacroF1(Labels({0, 0, 1}), Labels({0, 1, 1}), 2), 2.0 / 3.0);
}

data::Dataset BinaryDataset() {
  data::Dataset dataset;
  dataset.x.resize(6, 1);
  dataset.x << -2, -1, 0, 1, 2, 3;
  dataset.y = Labels({0, 1, 0, 1, 1, 0});
  dataset.class_names = {"stay", "churn"};
  return dataset;
}

TEST(EvaluateTest, BinaryAgreesWithTheMetricFunctions) {
  ModelSpec spec;
  spec.input_dim = 1;
  LogisticRegression model(spec);
  model.SetParameters(Eigen::Vector2d(0.8, -0.3));
  const data::Dataset dataset = BinaryDataset();
  const Evaluation eval = Evaluate(model, dataset);
  const Eigen::MatrixXd proba = model.PredictProba(dataset.x);

  EXPECT_EQ(eval.examples, 6);
  EXPECT_DOUBLE_EQ(eval.roc_auc, RocAuc(proba.col(1), dataset.y));
  // Scores rise with x. Positives at x = -1, 1, 2, negatives at -2, 0, 3:
  // positive-negative pairs won: (-1 > -2), (1 > -2, 0), (2 > -2, 0) = 5 of 9.
  EXPECT_DOUBLE_EQ(eval.roc_auc, 5.0 / 9.0);
  EXPECT_DOUBLE_EQ(eval.pr_auc, AveragePrecision(proba.col(1), dataset.y));
  EXPECT_DOUBLE_EQ(eval.log_loss, LogLoss(proba, dataset.y));
  EXPECT_DOUBLE_EQ(eval.brier, BrierScore(proba, dataset.y));
  EXPECT_DOUBLE_EQ(eval.accuracy, Accuracy(proba, dataset.y));
  EXPECT_TRUE(std::isnan(eval.macro_f1));

  EXPECT_EQ(eval.PrimaryMetric(), "roc_auc");
  EXPECT_DOUBLE_EQ(eval.PrimaryValue(), eval.roc_auc);
  const std::map<std::string, double> map = eval.ToMap();
  EXPECT_EQ(map.size(), 5u);
  EXPECT_DOUBLE_EQ(map.at("roc_auc"), eval.roc_auc);
  EXPECT_DOUBLE_EQ(map.at("pr_auc"), eval.pr_auc);
  EXPECT_DOUBLE_EQ(map.at("log_loss"), eval.log_loss);
  EXPECT_DOUBLE_EQ(map.at("brier"), eval.brier);
  EXPECT_DOUBLE_EQ(map.at("accuracy"), eval.accuracy);
}

TEST(EvaluateTest, MulticlassReportsPerClassRecallByName) {
  ModelSpec spec;
  spec.type = "softmax";
  spec.input_dim = 2;
  spec.num_classes = 3;
  SoftmaxRegression model(spec);
  Eigen::VectorXd params = Eigen::VectorXd::Zero(9);
  params(0) = 1.0;  // weight(0, 0): class 0 <- feature 0
  params(3) = 1.0;  // weight(1, 1): class 1 <- feature 1 (row-major 3 x 2)
  model.SetParameters(params);
  data::Dataset dataset;
  dataset.num_classes = 3;
  dataset.x.resize(4, 2);
  dataset.x << 5, 0,  // predicts class 0
      0, 5,           // predicts class 1
      0, 0,           // uniform: the tie goes to class 0, a miss
      -5, -5;         // class 2, the only logit not negative
  dataset.y = Labels({0, 1, 2, 2});
  dataset.class_names = {"email", "phone", "chat"};
  const Evaluation eval = Evaluate(model, dataset);
  EXPECT_DOUBLE_EQ(eval.accuracy, 0.75);
  EXPECT_EQ(eval.PrimaryMetric(), "accuracy");
  const std::map<std::string, double> map = eval.ToMap();
  EXPECT_DOUBLE_EQ(map.at("recall.email"), 1.0);
  EXPECT_DOUBLE_EQ(map.at("recall.phone"), 1.0);
  EXPECT_DOUBLE_EQ(map.at("recall.chat"), 0.5);
  EXPECT_TRUE(map.count("macro_f1"));
  EXPECT_FALSE(map.count("roc_auc"));
  EXPECT_TRUE(std::isnan(eval.roc_auc));
}

TEST(EvaluateTest, OneClassGivesNaNAuc) {
  ModelSpec spec;
  spec.input_dim = 1;
  LogisticRegression model(spec);
  data::Dataset dataset = BinaryDataset();
  dataset.y.setZero();
  const Evaluation eval = Evaluate(model, dataset);
  EXPECT_TRUE(std::isnan(eval.roc_auc));
  EXPECT_TRUE(std::isnan(eval.pr_auc));
  EXPECT_DOUBLE_EQ(eval.accuracy, 1.0);  // p = 0.5 ties break to class 0
}

TEST(EvaluateTest, RejectsMismatchedDatasets) {
  ModelSpec spec;
  spec.input_dim = 2;
  LogisticRegression model(spec);
  EXPECT_THROW(Evaluate(model, BinaryDataset()), DataError);  // 1 column, model wants 2
  data::Dataset empty;
  empty.x.resize(0, 2);
  EXPECT_THROW(Evaluate(model, empty), DataError);
  data::Dataset three = BinaryDataset();
  three.num_classes = 3;
  spec.input_dim = 1;
  EXPECT_THROW(Evaluate(LogisticRegression(spec), three), DataError);
}

}  // namespace
}  // namespace fedcrm::model
