#include "core/model/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/common/error.h"

namespace fedcrm::model {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

DataError LabelError(const std::string& value, const std::string& expected) {
  return DataError({"<labels>", 0, 0, ""}, value, expected);
}

void CheckLabels(const Eigen::VectorXi& labels, Eigen::Index rows, int num_classes) {
  if (labels.size() != rows) {
    throw LabelError(std::to_string(labels.size()) + " labels",
                     "expected one label per example (" + std::to_string(rows) + ")");
  }
  for (Eigen::Index i = 0; i < labels.size(); ++i) {
    if (labels(i) < 0 || labels(i) >= num_classes) {
      throw LabelError("label " + std::to_string(labels(i)) + " at index " + std::to_string(i),
                       "expected a class index in [0, " + std::to_string(num_classes) + ")");
    }
  }
}

void CheckScores(const Eigen::VectorXd& scores) {
  if (!scores.allFinite()) {
    throw DataError({"<scores>", 0, 0, ""}, "non-finite score", "expected finite scores to rank");
  }
}

// Indices of `scores` sorted by decreasing score; ties keep index order.
std::vector<Eigen::Index> DescendingOrder(const Eigen::VectorXd& scores) {
  std::vector<Eigen::Index> order(static_cast<size_t>(scores.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return scores(a) > scores(b); });
  return order;
}

}  // namespace

double RocAuc(const Eigen::VectorXd& scores, const Eigen::VectorXi& labels) {
  CheckLabels(labels, scores.size(), 2);
  CheckScores(scores);
  const Eigen::Index n = scores.size();
  const double positives = labels.cast<double>().sum();
  const double negatives = static_cast<double>(n) - positives;
  if (positives == 0 || negatives == 0) return kNaN;

  // Walk ascending; each run of equal scores shares the average of its ranks.
  std::vector<Eigen::Index> order = DescendingOrder(scores);
  std::reverse(order.begin(), order.end());
  double positive_rank_sum = 0.0;
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && scores(order[end]) == scores(order[start])) ++end;
    const double average_rank = 0.5 * static_cast<double>(start + 1 + end);  // 1-based
    for (size_t i = start; i < end; ++i) {
      if (labels(order[i]) == 1) positive_rank_sum += average_rank;
    }
    start = end;
  }
  const double u = positive_rank_sum - positives * (positives + 1) / 2;
  return u / (positives * negatives);
}

double AveragePrecision(const Eigen::VectorXd& scores, const Eigen::VectorXi& labels) {
  CheckLabels(labels, scores.size(), 2);
  CheckScores(scores);
  const double positives = labels.cast<double>().sum();
  if (positives == 0) return kNaN;

  const std::vector<Eigen::Index> order = DescendingOrder(scores);
  double true_positives = 0.0;
  double seen = 0.0;
  double previous_recall = 0.0;
  double average_precision = 0.0;
  for (size_t start = 0; start < order.size();) {
    size_t end = start;
    while (end < order.size() && scores(order[end]) == scores(order[start])) {
      true_positives += labels(order[end]);
      ++end;
    }
    seen += static_cast<double>(end - start);
    const double recall = true_positives / positives;
    average_precision += (recall - previous_recall) * (true_positives / seen);
    previous_recall = recall;
    start = end;
  }
  return average_precision;
}

double LogLoss(const Eigen::MatrixXd& proba, const Eigen::VectorXi& labels) {
  CheckLabels(labels, proba.rows(), static_cast<int>(proba.cols()));
  if (proba.rows() == 0) return kNaN;
  double total = 0.0;
  for (Eigen::Index i = 0; i < proba.rows(); ++i) {
    const double p = std::clamp(proba(i, labels(i)), kLogLossEpsilon, 1.0 - kLogLossEpsilon);
    total -= std::log(p);
  }
  return total / static_cast<double>(proba.rows());
}

Eigen::VectorXi PredictedClasses(const Eigen::MatrixXd& proba) {
  Eigen::VectorXi predicted(proba.rows());
  for (Eigen::Index i = 0; i < proba.rows(); ++i) {
    Eigen::Index best = 0;
    for (Eigen::Index c = 1; c < proba.cols(); ++c) {
      if (proba(i, c) > proba(i, best)) best = c;
    }
    predicted(i) = static_cast<int>(best);
  }
  return predicted;
}

double Accuracy(const Eigen::MatrixXd& proba, const Eigen::VectorXi& labels) {
  CheckLabels(labels, proba.rows(), static_cast<int>(proba.cols()));
  if (proba.rows() == 0) return kNaN;
  const Eigen::VectorXi predicted = PredictedClasses(proba);
  return (predicted.array() == labels.array()).cast<double>().mean();
}

double BrierScore(const Eigen::MatrixXd& proba, const Eigen::VectorXi& labels) {
  CheckLabels(labels, proba.rows(), static_cast<int>(proba.cols()));
  if (proba.rows() == 0) return kNaN;
  double total = 0.0;
  for (Eigen::Index i = 0; i < proba.rows(); ++i) {
    if (proba.cols() == 2) {
      const double error = proba(i, 1) - labels(i);
      total += error * error;
      continue;
    }
    for (Eigen::Index c = 0; c < proba.cols(); ++c) {
      const double error = proba(i, c) - (labels(i) == c ? 1.0 : 0.0);
      total += error * error;
    }
  }
  return total / static_cast<double>(proba.rows());
}

double MacroF1(const Eigen::VectorXi& predicted, const Eigen::VectorXi& labels, int num_classes) {
  CheckLabels(labels, predicted.size(), num_classes);
  CheckLabels(predicted, labels.size(), num_classes);
  std::vector<double> tp(num_classes, 0.0), fp(num_classes, 0.0), fn(num_classes, 0.0);
  for (Eigen::Index i = 0; i < labels.size(); ++i) {
    if (predicted(i) == labels(i)) {
      tp[labels(i)] += 1;
    } else {
      fp[predicted(i)] += 1;
      fn[labels(i)] += 1;
    }
  }
  double sum = 0.0;
  int present = 0;
  for (int c = 0; c < num_classes; ++c) {
    const double denominator = 2 * tp[c] + fp[c] + fn[c];
    if (denominator == 0) continue;  // class in neither labels nor predictions
    sum += 2 * tp[c] / denominator;
    ++present;
  }
  return present == 0 ? kNaN : sum / present;
}

std::vector<double> PerClassRecall(const Eigen::VectorXi& predicted, const Eigen::VectorXi& labels,
                                   int num_classes) {
  CheckLabels(labels, predicted.size(), num_classes);
  std::vector<double> hits(num_classes, 0.0), totals(num_classes, 0.0);
  for (Eigen::Index i = 0; i < labels.size(); ++i) {
    totals[labels(i)] += 1;
    if (predicted(i) == labels(i)) hits[labels(i)] += 1;
  }
  std::vector<double> recall(num_classes);
  for (int c = 0; c < num_classes; ++c) recall[c] = totals[c] == 0 ? kNaN : hits[c] / totals[c];
  return recall;
}

std::map<std::string, double> Evaluation::ToMap() const {
  std::map<std::string, double> out{
      {"accuracy", accuracy}, {"log_loss", log_loss}, {"brier", brier}};
  if (num_classes == 2) {
    out["roc_auc"] = roc_auc;
    out["pr_auc"] = pr_auc;
  } else {
    out["macro_f1"] = macro_f1;
    for (size_t c = 0; c < per_class_recall.size(); ++c) {
      const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
      out["recall." + name] = per_class_recall[c];
    }
  }
  return out;
}

std::string Evaluation::PrimaryMetric() const { return num_classes == 2 ? "roc_auc" : "accuracy"; }

double Evaluation::PrimaryValue() const { return num_classes == 2 ? roc_auc : accuracy; }

Evaluation Evaluate(const Model& model, const data::Dataset& dataset) {
  const int num_classes = model.spec().num_classes;
  if (dataset.rows() == 0) {
    throw DataError({"<dataset>", 0, 0, ""}, "0 rows", "expected at least one example to evaluate");
  }
  if (dataset.num_classes != num_classes) {
    throw DataError({"<dataset>", 0, 0, ""}, std::to_string(dataset.num_classes) + " classes",
                    "expected " + std::to_string(num_classes) + " classes, as the model has");
  }
  const Eigen::MatrixXd proba = model.PredictProba(dataset.x);
  CheckLabels(dataset.y, proba.rows(), num_classes);

  Evaluation eval;
  eval.num_classes = num_classes;
  eval.examples = dataset.rows();
  for (int c = 0; c < num_classes; ++c) {
    eval.class_names.push_back(static_cast<int>(dataset.class_names.size()) == num_classes
                                   ? dataset.class_names[c]
                                   : std::to_string(c));
  }
  eval.accuracy = Accuracy(proba, dataset.y);
  eval.log_loss = LogLoss(proba, dataset.y);
  eval.brier = BrierScore(proba, dataset.y);
  if (num_classes == 2) {
    eval.roc_auc = RocAuc(proba.col(1), dataset.y);
    eval.pr_auc = AveragePrecision(proba.col(1), dataset.y);
  } else {
    const Eigen::VectorXi predicted = PredictedClasses(proba);
    eval.macro_f1 = MacroF1(predicted, dataset.y, num_classes);
    eval.per_class_recall = PerClassRecall(predicted, dataset.y, num_classes);
  }
  return eval;
}

}  // namespace fedcrm::model
