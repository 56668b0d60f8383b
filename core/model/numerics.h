// Numerically stable building blocks shared by the models and the metrics.
//
// Logits can be large (an overconfident model, an unscaled feature), so
// nothing here exponentiates a positive number: each formula is rearranged to
// exponentiate only -|z| or z - max(z).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace fedcrm::model {

// 1 / (1 + exp(-z)), accurate in both tails.
inline double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// log(1 + exp(z)) without overflow for large z or loss of precision for
// very negative z.
inline double Softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

// Row-wise softmax of `logits` into *proba; returns the row-wise log-sum-exp,
// so that cross-entropy is log_sum_exp(i) - logits(i, y(i)).
inline Eigen::VectorXd SoftmaxRows(const Eigen::MatrixXd& logits, Eigen::MatrixXd* proba) {
  const Eigen::VectorXd row_max = logits.rowwise().maxCoeff();
  *proba = (logits.colwise() - row_max).array().exp().matrix();
  const Eigen::VectorXd row_sum = proba->rowwise().sum();
  *proba = proba->array().colwise() / row_sum.array();
  return row_max.array() + row_sum.array().log();
}

}  // namespace fedcrm::model
