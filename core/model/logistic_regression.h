// Binary logistic regression: p(y = 1 | x) = sigmoid(w.x + b).
//
// Layout: "weight" [input_dim] then "bias" [1]. The spec must have
// num_classes == 2; MakeModel checks that.
#pragma once

#include <Eigen/Core>
#include <memory>

#include "core/model/parametric_model.h"

namespace fedcrm::model {

class LogisticRegression final : public ParametricModel {
 public:
  // Parameters start at zero (p = 0.5 everywhere).
  explicit LogisticRegression(const ModelSpec& spec);

  std::unique_ptr<Model> Clone() const override;
  double LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                         Eigen::VectorXd* gradient) const override;
  void PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                           Eigen::MatrixXd* gradients) const override;
  // Two columns: [1 - p, p], each computed directly so neither loses precision.
  Eigen::MatrixXd PredictProba(const Eigen::MatrixXd& x) const override;

 private:
  Eigen::VectorXd Logits(const Eigen::MatrixXd& x) const;
  // d(loss_i)/d(logit_i) = p_i - y_i.
  Eigen::VectorXd LogitResiduals(const Eigen::VectorXd& logits, const Eigen::VectorXi& y) const;
};

}  // namespace fedcrm::model
