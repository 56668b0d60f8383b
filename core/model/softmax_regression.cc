#include "core/model/softmax_regression.h"

#include "core/model/numerics.h"

namespace fedcrm::model {
namespace {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace

SoftmaxRegression::SoftmaxRegression(const ModelSpec& spec)
    : ParametricModel(spec, {{"weight", {spec.num_classes, spec.input_dim}, true},
                             {"bias", {spec.num_classes}, false}}) {}

std::unique_ptr<Model> SoftmaxRegression::Clone() const {
  return std::make_unique<SoftmaxRegression>(*this);
}

Eigen::MatrixXd SoftmaxRegression::Logits(const Eigen::MatrixXd& x) const {
  const Eigen::Index k = spec().num_classes;
  const Eigen::Index d = spec().input_dim;
  const Eigen::Map<const RowMajorMatrix> weight(Parameters().data(), k, d);
  const Eigen::Map<const Eigen::VectorXd> bias(Parameters().data() + k * d, k);
  Eigen::MatrixXd logits = x * weight.transpose();
  logits.rowwise() += bias.transpose();
  return logits;
}

double SoftmaxRegression::LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                                          Eigen::VectorXd* gradient) const {
  CheckBatch(x, &y);
  const Eigen::Index n = x.rows();
  const Eigen::Index k = spec().num_classes;
  const Eigen::Index d = spec().input_dim;
  const Eigen::MatrixXd logits = Logits(x);
  Eigen::MatrixXd residuals;
  const Eigen::VectorXd log_sum_exp = SoftmaxRows(logits, &residuals);
  double data_loss = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    data_loss += log_sum_exp(i) - logits(i, y(i));
    residuals(i, y(i)) -= 1.0;  // now d(loss_i)/d(logits_i) = p_i - onehot(y_i)
  }
  if (n > 0) data_loss /= static_cast<double>(n);

  if (gradient != nullptr) {
    *gradient = PenaltyGradient();
    if (n > 0) {
      const double inv_n = 1.0 / static_cast<double>(n);
      Eigen::Map<RowMajorMatrix> weight_grad(gradient->data(), k, d);
      weight_grad.noalias() += inv_n * (residuals.transpose() * x);
      gradient->segment(k * d, k) += inv_n * residuals.colwise().sum().transpose();
    }
  }
  return data_loss + Penalty();
}

void SoftmaxRegression::PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                                            Eigen::MatrixXd* gradients) const {
  CheckBatch(x, &y);
  const Eigen::Index k = spec().num_classes;
  const Eigen::Index d = spec().input_dim;
  Eigen::MatrixXd residuals;
  SoftmaxRows(Logits(x), &residuals);
  for (Eigen::Index i = 0; i < x.rows(); ++i) residuals(i, y(i)) -= 1.0;

  gradients->resize(NumParameters(), x.rows());
  // Row-major weight element (c, j) of example i is residual(i, c) * x(i, j).
  for (Eigen::Index c = 0; c < k; ++c) {
    gradients->middleRows(c * d, d).noalias() = x.transpose() * residuals.col(c).asDiagonal();
  }
  gradients->middleRows(k * d, k) = residuals.transpose();
}

Eigen::MatrixXd SoftmaxRegression::PredictProba(const Eigen::MatrixXd& x) const {
  CheckBatch(x, nullptr);
  Eigen::MatrixXd proba;
  SoftmaxRows(Logits(x), &proba);
  return proba;
}

}  // namespace fedcrm::model
