// Multinomial logistic (softmax) regression: p(y | x) = softmax(W x + b).
//
// Layout: "weight" [num_classes, input_dim] (row-major: one row per class),
// then "bias" [num_classes].
#pragma once

#include <Eigen/Core>
#include <memory>

#include "core/model/parametric_model.h"

namespace fedcrm::model {

class SoftmaxRegression final : public ParametricModel {
 public:
  // Parameters start at zero (uniform probabilities).
  explicit SoftmaxRegression(const ModelSpec& spec);

  std::unique_ptr<Model> Clone() const override;
  double LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                         Eigen::VectorXd* gradient) const override;
  void PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                           Eigen::MatrixXd* gradients) const override;
  Eigen::MatrixXd PredictProba(const Eigen::MatrixXd& x) const override;

 private:
  Eigen::MatrixXd Logits(const Eigen::MatrixXd& x) const;  // rows x num_classes
};

}  // namespace fedcrm::model
