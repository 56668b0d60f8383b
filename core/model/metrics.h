// Evaluation metrics for binary and multiclass classifiers, and Evaluate(),
// which computes the set that fits a model's task.
//
// Definitions follow scikit-learn so numbers can be compared with it:
// RocAuc = roc_auc_score, AveragePrecision = average_precision_score,
// MacroF1 = f1_score(average="macro"). Undefined values are NaN rather than
// an exception or an arbitrary 0: a silo whose validation split holds only one
// class must not fail a round, and NaN cannot be mistaken for a real score.
//
// Labels outside [0, num_classes), non-finite scores or length mismatches
// throw fedcrm::DataError.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/model.h"

namespace fedcrm::model {

// Probabilities are clipped to [kLogLossEpsilon, 1 - kLogLossEpsilon] so a
// confident mistake costs a large but finite loss.
inline constexpr double kLogLossEpsilon = 1e-15;

// Area under the ROC curve from the Mann-Whitney rank statistic; tied scores
// get their average rank (equivalently, a tie between a positive and a
// negative counts one half). `labels` are 0/1. NaN unless both classes occur.
double RocAuc(const Eigen::VectorXd& scores, const Eigen::VectorXi& labels);

// Average precision: sum over distinct score thresholds, from the highest,
// of (recall_k - recall_{k-1}) * precision_k. Tied scores form one
// threshold. `labels` are 0/1. NaN when there is no positive.
double AveragePrecision(const Eigen::VectorXd& scores, const Eigen::VectorXi& labels);

// Mean of -log p(true class), probabilities clipped as above. proba is
// examples x classes. NaN for zero examples (as are the metrics below).
double LogLoss(const Eigen::MatrixXd& proba, const Eigen::VectorXi& labels);

// Fraction of rows whose most probable class (lowest index on ties) is the label.
double Accuracy(const Eigen::MatrixXd& proba, const Eigen::VectorXi& labels);

// Binary (two columns): mean (p1 - y)^2. Multiclass: mean over examples of
// sum over classes (p_c - [y == c])^2.
double BrierScore(const Eigen::MatrixXd& proba, const Eigen::VectorXi& labels);

// Index of the largest probability in each row (lowest index on ties).
Eigen::VectorXi PredictedClasses(const Eigen::MatrixXd& proba);

// Unweighted mean of per-class F1 = 2TP / (2TP + FP + FN) over the classes
// that occur in `labels` or `predicted` (as scikit-learn does).
double MacroF1(const Eigen::VectorXi& predicted, const Eigen::VectorXi& labels, int num_classes);

// TP / (TP + FN) for each class; NaN for a class absent from `labels`.
std::vector<double> PerClassRecall(const Eigen::VectorXi& predicted, const Eigen::VectorXi& labels,
                                   int num_classes);

struct Evaluation {
  static constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

  int num_classes = 2;
  int64_t examples = 0;
  double accuracy = kUndefined;
  double log_loss = kUndefined;
  double brier = kUndefined;
  // Binary tasks only (NaN otherwise).
  double roc_auc = kUndefined;
  double pr_auc = kUndefined;
  // Multiclass tasks only (NaN / empty otherwise).
  double macro_f1 = kUndefined;
  std::vector<double> per_class_recall;
  std::vector<std::string> class_names;  // one per class; "0", "1", ... when unnamed

  // Binary: roc_auc, pr_auc, log_loss, brier, accuracy. Multiclass: accuracy,
  // macro_f1, log_loss, brier, and "recall.<class name>" per class.
  std::map<std::string, double> ToMap() const;
  // "roc_auc" for binary tasks, "accuracy" for multiclass ones.
  std::string PrimaryMetric() const;
  double PrimaryValue() const;
};

// Scores `model` on `dataset`. Throws fedcrm::DataError when the dataset is
// empty, its width differs from the model's input_dim, its class count from
// the model's, or a label is out of range.
Evaluation Evaluate(const Model& model, const data::Dataset& dataset);

}  // namespace fedcrm::model
