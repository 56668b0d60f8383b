// Evaluation metrics as sums that add up across silos, so a federation can
// score a model on every silo's held-out rows through secure aggregation
// and learn only the federation-wide totals.
//
// Each silo computes its EvaluationSums on its own rows; the sum of their
// vectors (ToVector, added coordinate-wise) is the EvaluationSums of all the
// rows together, from which ToEvaluation() derives the metrics of
// model::Evaluate:
//   exact:   accuracy, log_loss, brier; multiclass macro_f1 and per-class
//            recall (from the confusion matrix);
//   binned:  binary roc_auc and pr_auc, from per-bin counts of positives and
//            negatives over kEvaluationScoreBins equal bins of P(positive).
//            Scores in one bin count as tied, so the result differs from the
//            exact metric by at most the share of (positive, negative) pairs
//            that fall into one bin.
//
// Vector layout (docs/protocol.md, the evaluation stage):
//   [examples, log-loss sum, Brier sum, correct predictions,
//    binary:     positives per bin (B values), negatives per bin (B values)
//    multiclass: confusion counts, C·C values, row = true class, column = predicted]
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/metrics.h"
#include "core/model/model.h"

namespace fedcrm::model {

inline constexpr int kEvaluationScoreBins = 1000;

class EvaluationSums {
 public:
  // Zero sums for a task with `num_classes` (≥ 2) classes.
  explicit EvaluationSums(int num_classes);

  // The sums of `model` on `dataset`; an empty dataset gives zero sums.
  // Throws fedcrm::DataError as model::Evaluate does for a dataset that does
  // not fit the model, or when the model predicts a non-finite probability.
  static EvaluationSums Compute(const Model& model, const data::Dataset& dataset);

  // The vector length for a task with `num_classes` classes.
  static size_t VectorLength(int num_classes);

  // Reads a (summed) vector back. Counts are rounded to the nearest integer,
  // as fixed-point sums carry a little rounding. Throws fedcrm::DataError
  // naming `where` for a wrong length, a negative or non-finite value.
  static EvaluationSums FromVector(std::span<const double> values, int num_classes,
                                   const std::string& where);
  std::vector<double> ToVector() const;

  EvaluationSums& operator+=(const EvaluationSums& other);

  int num_classes() const { return num_classes_; }
  int64_t examples() const { return examples_; }

  // The metrics of the summed rows. `class_names` (one per class, else
  // "0", "1", ...) name the per-class recalls. Metrics undefined on these
  // rows are NaN (Evaluation's convention); examples() == 0 leaves all NaN.
  Evaluation ToEvaluation(const std::vector<std::string>& class_names = {}) const;

 private:
  void AddRow(const Eigen::Ref<const Eigen::RowVectorXd>& proba, int label);
  double BinnedRocAuc() const;
  double BinnedAveragePrecision() const;
  double ConfusionMacroF1() const;
  std::vector<double> ConfusionRecall() const;
  int64_t Confusion(int truth, int predicted) const;

  int num_classes_;
  int64_t examples_ = 0;
  double log_loss_sum_ = 0;
  double brier_sum_ = 0;
  int64_t correct_ = 0;
  // Binary: 2·B counts, positives then negatives. Multiclass: C·C confusion counts.
  std::vector<int64_t> counts_;
};

}  // namespace fedcrm::model
