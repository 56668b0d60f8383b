// Shared plumbing for the models: the flat parameter vector, its layout, the
// L2 penalty over weight tensors, and checks of a batch against the spec.
//
// Each concrete model describes its tensors once (name, shape, whether the L2
// penalty applies); everything that depends only on that description lives
// here, so the three models differ only in their forward and backward passes.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/model.h"

namespace fedcrm::model {

class ParametricModel : public Model {
 public:
  // One tensor of a concrete model, as the model describes it.
  struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape;
    bool penalized;  // true for weights, false for biases
  };

  const ModelSpec& spec() const override { return spec_; }
  Eigen::Index NumParameters() const override { return params_.size(); }
  const Eigen::VectorXd& Parameters() const override { return params_; }
  // Throws fedcrm::DataError when params has the wrong size or a non-finite
  // value: parameters arrive from files and from the network.
  void SetParameters(const Eigen::VectorXd& params) override;
  std::vector<TensorSlice> Layout() const override { return layout_; }
  Eigen::VectorXd PenaltyGradient() const override;

 protected:
  // Lays the tensors out in order; parameters start at zero.
  ParametricModel(const ModelSpec& spec, const std::vector<TensorSpec>& tensors);

  // 0.5 * l2 * ||weights||^2.
  double Penalty() const;

  // Throws fedcrm::DataError unless x has input_dim columns and, when `y`
  // is non-null, y has one label in [0, num_classes) per row.
  void CheckBatch(const Eigen::MatrixXd& x, const Eigen::VectorXi* y) const;

  // Offset of the first element of the tensor at `index` in Layout().
  Eigen::Index OffsetOf(size_t index) const { return layout_[index].offset; }

  Eigen::VectorXd& mutable_parameters() { return params_; }

 private:
  ModelSpec spec_;
  std::vector<TensorSlice> layout_;
  Eigen::VectorXd params_;
  Eigen::VectorXd penalty_mask_;  // 1 where the L2 penalty applies, else 0
};

}  // namespace fedcrm::model
