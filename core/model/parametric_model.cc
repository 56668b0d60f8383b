#include "core/model/parametric_model.h"

#include <cmath>

#include "core/common/error.h"

namespace fedcrm::model {
namespace {

DataError BatchError(const std::string& value, const std::string& expected) {
  return DataError({"<dataset>", 0, 0, ""}, value, expected);
}

}  // namespace

ParametricModel::ParametricModel(const ModelSpec& spec, const std::vector<TensorSpec>& tensors)
    : spec_(spec) {
  Eigen::Index offset = 0;
  for (const TensorSpec& t : tensors) {
    TensorSlice slice{t.name, t.shape, offset};
    offset += slice.size();
    layout_.push_back(std::move(slice));
  }
  params_ = Eigen::VectorXd::Zero(offset);
  penalty_mask_ = Eigen::VectorXd::Zero(offset);
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].penalized) {
      penalty_mask_.segment(layout_[i].offset, layout_[i].size()).setOnes();
    }
  }
}

void ParametricModel::SetParameters(const Eigen::VectorXd& params) {
  if (params.size() != params_.size()) {
    throw DataError({"<parameters>", 0, 0, ""}, std::to_string(params.size()) + " values",
                    "expected " + std::to_string(params_.size()) + " parameters for a " +
                        spec_.type + " model");
  }
  if (!params.allFinite()) {
    throw DataError({"<parameters>", 0, 0, ""}, "non-finite value", "expected finite parameters");
  }
  params_ = params;
}

Eigen::VectorXd ParametricModel::PenaltyGradient() const {
  return spec_.l2 * penalty_mask_.cwiseProduct(params_);
}

double ParametricModel::Penalty() const {
  return 0.5 * spec_.l2 * penalty_mask_.cwiseProduct(params_).squaredNorm();
}

void ParametricModel::CheckBatch(const Eigen::MatrixXd& x, const Eigen::VectorXi* y) const {
  if (x.cols() != spec_.input_dim) {
    throw BatchError(
        std::to_string(x.cols()) + " feature columns",
        "expected " + std::to_string(spec_.input_dim) + " columns, the model's input dimension");
  }
  if (y == nullptr) return;
  if (y->size() != x.rows()) {
    throw BatchError(std::to_string(y->size()) + " labels",
                     "expected one label per row (" + std::to_string(x.rows()) + ")");
  }
  for (Eigen::Index i = 0; i < y->size(); ++i) {
    const int label = (*y)(i);
    if (label < 0 || label >= spec_.num_classes) {
      throw BatchError("label " + std::to_string(label) + " in row " + std::to_string(i),
                       "expected a class index in [0, " + std::to_string(spec_.num_classes) + ")");
    }
  }
}

}  // namespace fedcrm::model
