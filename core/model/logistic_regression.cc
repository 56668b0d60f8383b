#include "core/model/logistic_regression.h"

#include "core/model/numerics.h"

namespace fedcrm::model {

LogisticRegression::LogisticRegression(const ModelSpec& spec)
    : ParametricModel(spec, {{"weight", {spec.input_dim}, true}, {"bias", {1}, false}}) {}

std::unique_ptr<Model> LogisticRegression::Clone() const {
  return std::make_unique<LogisticRegression>(*this);
}

Eigen::VectorXd LogisticRegression::Logits(const Eigen::MatrixXd& x) const {
  const Eigen::Index d = spec().input_dim;
  const Eigen::VectorXd& params = Parameters();
  return (x * params.head(d)).array() + params(d);
}

Eigen::VectorXd LogisticRegression::LogitResiduals(const Eigen::VectorXd& logits,
                                                   const Eigen::VectorXi& y) const {
  Eigen::VectorXd residuals(logits.size());
  for (Eigen::Index i = 0; i < logits.size(); ++i) {
    residuals(i) = Sigmoid(logits(i)) - static_cast<double>(y(i));
  }
  return residuals;
}

double LogisticRegression::LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                                           Eigen::VectorXd* gradient) const {
  CheckBatch(x, &y);
  const Eigen::Index n = x.rows();
  const Eigen::Index d = spec().input_dim;
  const Eigen::VectorXd logits = Logits(x);
  double data_loss = 0.0;
  // -log p(y | x) = softplus(z) for y = 0 and softplus(-z) for y = 1.
  for (Eigen::Index i = 0; i < n; ++i) {
    data_loss += Softplus(y(i) == 1 ? -logits(i) : logits(i));
  }
  if (n > 0) data_loss /= static_cast<double>(n);

  if (gradient != nullptr) {
    *gradient = PenaltyGradient();
    if (n > 0) {
      const Eigen::VectorXd residuals = LogitResiduals(logits, y);
      const double inv_n = 1.0 / static_cast<double>(n);
      const Eigen::VectorXd weight_gradient = x.transpose() * residuals;
      gradient->head(d) += inv_n * weight_gradient;
      (*gradient)(d) += inv_n * residuals.sum();
    }
  }
  return data_loss + Penalty();
}

void LogisticRegression::PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                                             Eigen::MatrixXd* gradients) const {
  CheckBatch(x, &y);
  const Eigen::Index d = spec().input_dim;
  const Eigen::VectorXd residuals = LogitResiduals(Logits(x), y);
  gradients->resize(NumParameters(), x.rows());
  gradients->topRows(d).noalias() = x.transpose() * residuals.asDiagonal();
  gradients->row(d) = residuals.transpose();
}

Eigen::MatrixXd LogisticRegression::PredictProba(const Eigen::MatrixXd& x) const {
  CheckBatch(x, nullptr);
  const Eigen::VectorXd logits = Logits(x);
  Eigen::MatrixXd proba(x.rows(), 2);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    proba(i, 0) = Sigmoid(-logits(i));
    proba(i, 1) = Sigmoid(logits(i));
  }
  return proba;
}

}  // namespace fedcrm::model
