// Small models implementing fedcrm::model::Model for the train and fl tests,
// so those tests do not depend on core/model's concrete models.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/model.h"
#include "core/train/secure_random.h"

namespace fedcrm::testing {

// Binary logistic regression: parameters [w (input_dim); b], loss the mean
// binary cross-entropy plus 0.5 * l2 * ||w||^2.
class ToyLogistic : public model::Model {
 public:
  ToyLogistic(int input_dim, double l2) {
    spec_.type = "logistic";
    spec_.input_dim = input_dim;
    spec_.num_classes = 2;
    spec_.l2 = l2;
    params_ = Eigen::VectorXd::Zero(input_dim + 1);
  }

  const model::ModelSpec& spec() const override { return spec_; }
  std::unique_ptr<model::Model> Clone() const override {
    return std::make_unique<ToyLogistic>(*this);
  }
  Eigen::Index NumParameters() const override { return params_.size(); }
  const Eigen::VectorXd& Parameters() const override { return params_; }
  void SetParameters(const Eigen::VectorXd& params) override { params_ = params; }
  std::vector<model::TensorSlice> Layout() const override {
    return {{"weight", {spec_.input_dim}, 0}, {"bias", {1}, spec_.input_dim}};
  }

  double LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                         Eigen::VectorXd* gradient) const override {
    const Eigen::VectorXd p = Probability(x);
    const Eigen::VectorXd t = y.cast<double>();
    const auto n = static_cast<double>(x.rows());
    double loss = 0.0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      loss -= t(i) * std::log(p(i)) + (1.0 - t(i)) * std::log(1.0 - p(i));
    }
    loss = loss / n + 0.5 * spec_.l2 * Weights().squaredNorm();
    if (gradient != nullptr) {
      const Eigen::VectorXd r = p - t;
      gradient->resize(params_.size());
      gradient->head(spec_.input_dim) = x.transpose() * r / n;
      (*gradient)(spec_.input_dim) = r.sum() / n;
      *gradient += PenaltyGradient();
    }
    return loss;
  }

  void PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                           Eigen::MatrixXd* gradients) const override {
    const Eigen::VectorXd r = Probability(x) - y.cast<double>();
    gradients->resize(params_.size(), x.rows());
    gradients->topRows(spec_.input_dim) = x.transpose() * r.asDiagonal();
    gradients->row(spec_.input_dim) = r.transpose();
  }

  Eigen::VectorXd PenaltyGradient() const override {
    Eigen::VectorXd g = Eigen::VectorXd::Zero(params_.size());
    g.head(spec_.input_dim) = spec_.l2 * Weights();
    return g;
  }

  Eigen::MatrixXd PredictProba(const Eigen::MatrixXd& x) const override {
    Eigen::MatrixXd out(x.rows(), 2);
    out.col(1) = Probability(x);
    out.col(0) = 1.0 - out.col(1).array();
    return out;
  }

 private:
  Eigen::VectorXd Weights() const { return params_.head(spec_.input_dim); }
  Eigen::VectorXd Probability(const Eigen::MatrixXd& x) const {
    const Eigen::ArrayXd z = (x * Weights()).array() + params_(spec_.input_dim);
    return (1.0 / (1.0 + (-z).exp())).matrix();
  }

  model::ModelSpec spec_;
  Eigen::VectorXd params_;
};

// Every example's gradient is the same fixed vector, whatever the data; the
// penalty gradient is another fixed vector. Isolates DP-SGD's arithmetic
// (sum, noise, normalization) from any model.
class ConstantGradientModel : public model::Model {
 public:
  ConstantGradientModel(int input_dim, Eigen::VectorXd example_gradient,
                        Eigen::VectorXd penalty_gradient)
      : example_gradient_(std::move(example_gradient)),
        penalty_gradient_(std::move(penalty_gradient)) {
    spec_.input_dim = input_dim;
    params_ = Eigen::VectorXd::Zero(example_gradient_.size());
  }

  const model::ModelSpec& spec() const override { return spec_; }
  std::unique_ptr<model::Model> Clone() const override {
    return std::make_unique<ConstantGradientModel>(*this);
  }
  Eigen::Index NumParameters() const override { return params_.size(); }
  const Eigen::VectorXd& Parameters() const override { return params_; }
  void SetParameters(const Eigen::VectorXd& params) override { params_ = params; }
  std::vector<model::TensorSlice> Layout() const override {
    return {{"theta", {params_.size()}, 0}};
  }
  double LossAndGradient(const Eigen::MatrixXd&, const Eigen::VectorXi&,
                         Eigen::VectorXd* gradient) const override {
    if (gradient != nullptr) *gradient = example_gradient_ + penalty_gradient_;
    return 0.0;
  }
  void PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi&,
                           Eigen::MatrixXd* gradients) const override {
    *gradients = example_gradient_.replicate(1, x.rows());
  }
  Eigen::VectorXd PenaltyGradient() const override { return penalty_gradient_; }
  Eigen::MatrixXd PredictProba(const Eigen::MatrixXd& x) const override {
    return Eigen::MatrixXd::Constant(x.rows(), 2, 0.5);
  }

 private:
  model::ModelSpec spec_;
  Eigen::VectorXd example_gradient_;
  Eigen::VectorXd penalty_gradient_;
  Eigen::VectorXd params_;
};

// A binary dataset from a noisy linear rule, so logistic gradients are
// non-trivial and differ between examples.
inline data::Dataset MakeToyData(Eigen::Index rows, int cols, uint64_t seed) {
  train::SecureRandom rng = train::SecureRandom::ForTesting(seed);
  data::Dataset d;
  d.x.resize(rows, cols);
  d.y.resize(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    double score = 0.3;
    for (int j = 0; j < cols; ++j) {
      d.x(i, j) = rng.Gaussian();
      score += (j % 2 == 0 ? 1.0 : -0.5) * d.x(i, j);
    }
    d.y(i) = score + rng.Gaussian() > 0.0 ? 1 : 0;
  }
  for (int j = 0; j < cols; ++j) {
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on "f" + string.
    std::string name = "f";
    name += std::to_string(j);
    d.feature_names.push_back(name);
  }
  d.class_names = {"no", "yes"};
  return d;
}

}  // namespace fedcrm::testing
