// The model interface every learner in fedcrm implements.
//
// A model's parameters are one flat vector. Federated learning adds, averages
// and masks updates as flat vectors, so keeping the flat vector canonical
// makes aggregation, secure aggregation and serialization one code path for
// every model type. Named tensors (for safetensors files) are views described
// by Layout().
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fedcrm::model {

// What to build. Mirrors FederatedRound.spec.model.
struct ModelSpec {
  std::string type = "logistic";        // "logistic" | "softmax" | "mlp"
  int input_dim = 0;                    // encoded feature count
  int num_classes = 2;                  // 2 for logistic; >= 2 for softmax and mlp
  std::vector<int> hidden_layers = {};  // mlp only, e.g. {32, 16}
  double l2 = 0.0;                      // L2 penalty (0.5 * l2 * ||w||^2, biases excluded)
};

// One named tensor inside the flat parameter vector (row-major within it).
struct TensorSlice {
  std::string name;            // e.g. "layer0.weight"
  std::vector<int64_t> shape;  // e.g. {16, 40}
  Eigen::Index offset = 0;     // first element in the flat vector
  Eigen::Index size() const {
    Eigen::Index n = 1;
    for (int64_t d : shape) n *= static_cast<Eigen::Index>(d);
    return n;
  }
};

class Model {
 public:
  virtual ~Model() = default;

  virtual const ModelSpec& spec() const = 0;
  virtual std::unique_ptr<Model> Clone() const = 0;

  // Flat parameters. SetParameters requires params.size() == NumParameters().
  virtual Eigen::Index NumParameters() const = 0;
  virtual const Eigen::VectorXd& Parameters() const = 0;
  virtual void SetParameters(const Eigen::VectorXd& params) = 0;

  // How the flat vector splits into named tensors, in order, covering it.
  virtual std::vector<TensorSlice> Layout() const = 0;

  // Mean cross-entropy over the rows (plus the L2 penalty) and, when
  // `gradient` is non-null, its gradient with respect to Parameters().
  virtual double LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                                 Eigen::VectorXd* gradient) const = 0;

  // Gradient of each example's own loss (without the L2 penalty, which DP-SGD
  // applies after clipping): column i of *gradients is example i's gradient.
  // Resizes *gradients to NumParameters() x x.rows().
  virtual void PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                                   Eigen::MatrixXd* gradients) const = 0;

  // Gradient of the L2 penalty alone at the current parameters.
  virtual Eigen::VectorXd PenaltyGradient() const = 0;

  // Class probabilities: x.rows() x num_classes, rows sum to 1.
  virtual Eigen::MatrixXd PredictProba(const Eigen::MatrixXd& x) const = 0;
};

// Builds a model with parameters initialized deterministically from `seed`
// (zeros for linear models; scaled He initialization for the MLP).
// Throws fedcrm::ConfigError for an invalid spec.
std::unique_ptr<Model> MakeModel(const ModelSpec& spec, uint64_t seed);

}  // namespace fedcrm::model
