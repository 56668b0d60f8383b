// A multilayer perceptron: ReLU hidden layers, softmax output (a two-way
// softmax for binary tasks, so every class has its own logit).
//
// Layout: for each layer l (hidden layers first, the output layer last)
// "layer<l>.weight" [out, in] row-major, then "layer<l>.bias" [out].
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/model/parametric_model.h"

namespace fedcrm::model {

class Mlp final : public ParametricModel {
 public:
  // He initialization: weights ~ N(0, 2 / fan_in) drawn from
  // std::mt19937_64(seed) through a portable Box-Muller transform, so the same
  // seed gives the same model on every platform; biases start at zero.
  Mlp(const ModelSpec& spec, uint64_t seed);

  std::unique_ptr<Model> Clone() const override;
  double LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                         Eigen::VectorXd* gradient) const override;
  void PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                           Eigen::MatrixXd* gradients) const override;
  Eigen::MatrixXd PredictProba(const Eigen::MatrixXd& x) const override;

 private:
  struct Layer {
    Eigen::Index inputs;
    Eigen::Index outputs;
    Eigen::Index weight_offset;
    Eigen::Index bias_offset;
  };

  // Activations of one forward pass: inputs[l] is the n x in(l) input of
  // layer l (inputs[0] is x); logits are the output layer's pre-softmax values.
  struct ForwardPass {
    std::vector<Eigen::MatrixXd> inputs;
    Eigen::MatrixXd logits;
  };

  ForwardPass Forward(const Eigen::MatrixXd& x) const;

  // Backpropagates d(loss_i)/d(logits_i) (one row per example) and calls
  // visit(layer, layer_input, layer_output_delta) from the last layer to the
  // first; the gradients of layer l's parameters follow from those two.
  template <typename Visitor>
  void Backward(const ForwardPass& pass, Eigen::MatrixXd delta, Visitor&& visit) const;

  void Initialize(uint64_t seed);

  std::vector<Layer> layers_;
};

}  // namespace fedcrm::model
