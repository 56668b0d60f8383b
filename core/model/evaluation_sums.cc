#include "core/model/evaluation_sums.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/common/error.h"

namespace fedcrm::model {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kHeaderLength = 4;  // examples, log-loss sum, Brier sum, correct

int ScoreBin(double p_positive) {
  const int bin = static_cast<int>(std::floor(p_positive * kEvaluationScoreBins));
  return std::clamp(bin, 0, kEvaluationScoreBins - 1);
}

DataError SumsError(const std::string& where, const std::string& value,
                    const std::string& expected) {
  return DataError({where, 0, 0, ""}, value, expected);
}

int64_t ReadCount(double value, const std::string& where, size_t index) {
  if (!std::isfinite(value) || value < -0.5) {
    throw SumsError(where, "value " + std::to_string(value) + " at index " + std::to_string(index),
                    "expected a non-negative count");
  }
  return std::llround(value);
}

}  // namespace

EvaluationSums::EvaluationSums(int num_classes) : num_classes_(num_classes) {
  if (num_classes < 2) {
    throw ConfigError("evaluation", std::to_string(num_classes) + " classes; expected at least 2");
  }
  counts_.assign(VectorLength(num_classes) - kHeaderLength, 0);
}

size_t EvaluationSums::VectorLength(int num_classes) {
  const size_t c = static_cast<size_t>(std::max(num_classes, 0));
  return kHeaderLength + (num_classes == 2 ? 2 * size_t{kEvaluationScoreBins} : c * c);
}

EvaluationSums EvaluationSums::Compute(const Model& model, const data::Dataset& dataset) {
  EvaluationSums sums(model.spec().num_classes);
  if (dataset.rows() == 0) return sums;
  // Evaluate() checks the dataset against the model; the sums must refuse
  // exactly what it refuses.
  if (dataset.num_classes != sums.num_classes_ || dataset.y.size() != dataset.rows()) {
    throw DataError({"<dataset>", 0, 0, ""},
                    std::to_string(dataset.num_classes) + " classes, " +
                        std::to_string(dataset.y.size()) + " labels",
                    "expected " + std::to_string(sums.num_classes_) +
                        " classes, as the model has, and one label per row");
  }
  const Eigen::MatrixXd proba = model.PredictProba(dataset.x);
  if (!proba.allFinite()) {
    throw DataError({"<dataset>", 0, 0, ""}, "non-finite probability",
                    "expected the model to predict finite probabilities");
  }
  for (Eigen::Index i = 0; i < dataset.rows(); ++i) {
    const int label = dataset.y(i);
    if (label < 0 || label >= sums.num_classes_) {
      throw DataError({"<labels>", 0, 0, ""},
                      "label " + std::to_string(label) + " at index " + std::to_string(i),
                      "expected a class index in [0, " + std::to_string(sums.num_classes_) + ")");
    }
    sums.AddRow(proba.row(i), label);
  }
  return sums;
}

void EvaluationSums::AddRow(const Eigen::Ref<const Eigen::RowVectorXd>& proba, int label) {
  Eigen::Index predicted = 0;
  proba.maxCoeff(&predicted);  // the first maximum: lowest index on ties, as Accuracy()
  ++examples_;
  log_loss_sum_ -= std::log(std::clamp(proba(label), kLogLossEpsilon, 1.0 - kLogLossEpsilon));
  if (predicted == label) ++correct_;
  if (num_classes_ == 2) {
    const double error = proba(1) - static_cast<double>(label);
    brier_sum_ += error * error;
    const int bin = ScoreBin(proba(1));
    ++counts_[static_cast<size_t>(label == 1 ? bin : kEvaluationScoreBins + bin)];
  } else {
    for (int c = 0; c < num_classes_; ++c) {
      const double error = proba(c) - (c == label ? 1.0 : 0.0);
      brier_sum_ += error * error;
    }
    ++counts_[static_cast<size_t>(label) * static_cast<size_t>(num_classes_) +
              static_cast<size_t>(predicted)];
  }
}

EvaluationSums EvaluationSums::FromVector(std::span<const double> values, int num_classes,
                                          const std::string& where) {
  EvaluationSums sums(num_classes);
  if (values.size() != VectorLength(num_classes)) {
    throw SumsError(where, std::to_string(values.size()) + " values",
                    "expected " + std::to_string(VectorLength(num_classes)) + " for " +
                        std::to_string(num_classes) + " classes");
  }
  for (size_t i = 1; i < 3; ++i) {
    if (!std::isfinite(values[i]) || values[i] < 0) {
      throw SumsError(where,
                      "value " + std::to_string(values[i]) + " at index " + std::to_string(i),
                      "expected a non-negative sum");
    }
  }
  sums.examples_ = ReadCount(values[0], where, 0);
  sums.log_loss_sum_ = values[1];
  sums.brier_sum_ = values[2];
  sums.correct_ = ReadCount(values[3], where, 3);
  for (size_t i = 0; i < sums.counts_.size(); ++i) {
    sums.counts_[i] = ReadCount(values[kHeaderLength + i], where, kHeaderLength + i);
  }
  return sums;
}

std::vector<double> EvaluationSums::ToVector() const {
  std::vector<double> out = {static_cast<double>(examples_), log_loss_sum_, brier_sum_,
                             static_cast<double>(correct_)};
  out.reserve(VectorLength(num_classes_));
  for (int64_t count : counts_) out.push_back(static_cast<double>(count));
  return out;
}

EvaluationSums& EvaluationSums::operator+=(const EvaluationSums& other) {
  if (other.num_classes_ != num_classes_) {
    throw ConfigError("evaluation", "cannot add sums of " + std::to_string(other.num_classes_) +
                                        " classes to sums of " + std::to_string(num_classes_));
  }
  examples_ += other.examples_;
  log_loss_sum_ += other.log_loss_sum_;
  brier_sum_ += other.brier_sum_;
  correct_ += other.correct_;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  return *this;
}

Evaluation EvaluationSums::ToEvaluation(const std::vector<std::string>& class_names) const {
  Evaluation eval;
  eval.num_classes = num_classes_;
  eval.examples = examples_;
  for (int c = 0; c < num_classes_; ++c) {
    eval.class_names.push_back(static_cast<int>(class_names.size()) == num_classes_
                                   ? class_names[static_cast<size_t>(c)]
                                   : std::to_string(c));
  }
  if (examples_ == 0) return eval;
  const double n = static_cast<double>(examples_);
  eval.accuracy = static_cast<double>(correct_) / n;
  eval.log_loss = log_loss_sum_ / n;
  eval.brier = brier_sum_ / n;
  if (num_classes_ == 2) {
    eval.roc_auc = BinnedRocAuc();
    eval.pr_auc = BinnedAveragePrecision();
  } else {
    eval.macro_f1 = ConfusionMacroF1();
    eval.per_class_recall = ConfusionRecall();
  }
  return eval;
}

// Mann-Whitney over bins: a positive outranks every negative in a lower bin
// and ties (one half) with the negatives of its own bin.
double EvaluationSums::BinnedRocAuc() const {
  const auto positives = std::span(counts_).first(kEvaluationScoreBins);
  const auto negatives = std::span(counts_).subspan(kEvaluationScoreBins);
  double negatives_below = 0;
  double wins = 0;
  double total_positives = 0;
  for (size_t b = 0; b < positives.size(); ++b) {
    const double pos = static_cast<double>(positives[b]);
    const double neg = static_cast<double>(negatives[b]);
    wins += pos * (negatives_below + 0.5 * neg);
    negatives_below += neg;
    total_positives += pos;
  }
  if (total_positives == 0 || negatives_below == 0) return kNaN;
  return wins / (total_positives * negatives_below);
}

// Each non-empty bin is one threshold, from the highest score down, as
// average_precision_score treats a run of tied scores.
double EvaluationSums::BinnedAveragePrecision() const {
  const auto positives = std::span(counts_).first(kEvaluationScoreBins);
  const auto negatives = std::span(counts_).subspan(kEvaluationScoreBins);
  double total_positives = 0;
  for (int64_t pos : positives) total_positives += static_cast<double>(pos);
  if (total_positives == 0) return kNaN;
  double true_positives = 0;
  double false_positives = 0;
  double average_precision = 0;
  for (size_t b = positives.size(); b-- > 0;) {
    if (positives[b] == 0 && negatives[b] == 0) continue;
    const double recall_before = true_positives / total_positives;
    true_positives += static_cast<double>(positives[b]);
    false_positives += static_cast<double>(negatives[b]);
    const double precision = true_positives / (true_positives + false_positives);
    average_precision += (true_positives / total_positives - recall_before) * precision;
  }
  return average_precision;
}

int64_t EvaluationSums::Confusion(int truth, int predicted) const {
  return counts_[static_cast<size_t>(truth) * static_cast<size_t>(num_classes_) +
                 static_cast<size_t>(predicted)];
}

// Over the classes that occur as a label or a prediction, like f1_score.
double EvaluationSums::ConfusionMacroF1() const {
  double f1_sum = 0;
  int classes = 0;
  for (int c = 0; c < num_classes_; ++c) {
    int64_t labelled = 0;
    int64_t predicted = 0;
    for (int other = 0; other < num_classes_; ++other) {
      labelled += Confusion(c, other);
      predicted += Confusion(other, c);
    }
    if (labelled == 0 && predicted == 0) continue;
    const double tp = static_cast<double>(Confusion(c, c));
    const double fp = static_cast<double>(predicted) - tp;
    const double fn = static_cast<double>(labelled) - tp;
    f1_sum += 2 * tp / (2 * tp + fp + fn);
    ++classes;
  }
  return classes == 0 ? kNaN : f1_sum / classes;
}

std::vector<double> EvaluationSums::ConfusionRecall() const {
  std::vector<double> recall;
  for (int c = 0; c < num_classes_; ++c) {
    int64_t labelled = 0;
    for (int other = 0; other < num_classes_; ++other) labelled += Confusion(c, other);
    recall.push_back(labelled == 0
                         ? kNaN
                         : static_cast<double>(Confusion(c, c)) / static_cast<double>(labelled));
  }
  return recall;
}

}  // namespace fedcrm::model
