#include "core/model/mlp.h"

#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "core/model/numerics.h"

namespace fedcrm::model {
namespace {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::vector<Eigen::Index> LayerWidths(const ModelSpec& spec) {
  std::vector<Eigen::Index> widths{spec.input_dim};
  for (int h : spec.hidden_layers) widths.push_back(h);
  widths.push_back(spec.num_classes);
  return widths;
}

std::vector<ParametricModel::TensorSpec> MlpTensors(const ModelSpec& spec) {
  const std::vector<Eigen::Index> widths = LayerWidths(spec);
  std::vector<ParametricModel::TensorSpec> tensors;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const std::string prefix = "layer" + std::to_string(l);
    tensors.push_back({prefix + ".weight", {widths[l + 1], widths[l]}, true});
    tensors.push_back({prefix + ".bias", {widths[l + 1]}, false});
  }
  return tensors;
}

// Standard normal deviates from a 64-bit engine. std::normal_distribution is
// implementation-defined; this is not, so initial models are reproducible
// across standard libraries.
class PortableNormal {
 public:
  explicit PortableNormal(uint64_t seed) : engine_(seed) {}

  double Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // u1 in (0, 1] so the log is finite; u2 in [0, 1).
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace

Mlp::Mlp(const ModelSpec& spec, uint64_t seed) : ParametricModel(spec, MlpTensors(spec)) {
  const std::vector<Eigen::Index> widths = LayerWidths(spec);
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    layers_.push_back({widths[l], widths[l + 1], OffsetOf(2 * l), OffsetOf(2 * l + 1)});
  }
  Initialize(seed);
}

void Mlp::Initialize(uint64_t seed) {
  PortableNormal normal(seed);
  Eigen::VectorXd& params = mutable_parameters();
  for (const Layer& layer : layers_) {
    const double scale = std::sqrt(2.0 / static_cast<double>(layer.inputs));
    for (Eigen::Index i = 0; i < layer.inputs * layer.outputs; ++i) {
      params(layer.weight_offset + i) = scale * normal.Next();
    }
  }
}

std::unique_ptr<Model> Mlp::Clone() const { return std::make_unique<Mlp>(*this); }

Mlp::ForwardPass Mlp::Forward(const Eigen::MatrixXd& x) const {
  const double* params = Parameters().data();
  ForwardPass pass;
  pass.inputs.reserve(layers_.size());
  pass.inputs.push_back(x);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    const Eigen::Map<const RowMajorMatrix> weight(params + layer.weight_offset, layer.outputs,
                                                  layer.inputs);
    const Eigen::Map<const Eigen::VectorXd> bias(params + layer.bias_offset, layer.outputs);
    Eigen::MatrixXd out = pass.inputs.back() * weight.transpose();
    out.rowwise() += bias.transpose();
    if (l + 1 == layers_.size()) {
      pass.logits = std::move(out);
    } else {
      pass.inputs.push_back(out.cwiseMax(0.0));
    }
  }
  return pass;
}

template <typename Visitor>
void Mlp::Backward(const ForwardPass& pass, Eigen::MatrixXd delta, Visitor&& visit) const {
  const double* params = Parameters().data();
  for (size_t l = layers_.size(); l-- > 0;) {
    visit(layers_[l], pass.inputs[l], delta);
    if (l == 0) break;
    const Layer& layer = layers_[l];
    const Eigen::Map<const RowMajorMatrix> weight(params + layer.weight_offset, layer.outputs,
                                                  layer.inputs);
    // ReLU passes the gradient only where its output was positive.
    delta = (delta * weight).cwiseProduct((pass.inputs[l].array() > 0.0).cast<double>().matrix());
  }
}

double Mlp::LossAndGradient(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                            Eigen::VectorXd* gradient) const {
  CheckBatch(x, &y);
  const Eigen::Index n = x.rows();
  const ForwardPass pass = Forward(x);
  Eigen::MatrixXd delta;
  const Eigen::VectorXd log_sum_exp = SoftmaxRows(pass.logits, &delta);
  double data_loss = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    data_loss += log_sum_exp(i) - pass.logits(i, y(i));
    delta(i, y(i)) -= 1.0;
  }
  if (n > 0) data_loss /= static_cast<double>(n);

  if (gradient != nullptr) {
    *gradient = PenaltyGradient();
    if (n > 0) {
      const double inv_n = 1.0 / static_cast<double>(n);
      Backward(pass, std::move(delta),
               [&](const Layer& layer, const Eigen::MatrixXd& input, const Eigen::MatrixXd& d) {
                 Eigen::Map<RowMajorMatrix> weight_grad(gradient->data() + layer.weight_offset,
                                                        layer.outputs, layer.inputs);
                 weight_grad.noalias() += inv_n * (d.transpose() * input);
                 gradient->segment(layer.bias_offset, layer.outputs) +=
                     inv_n * d.colwise().sum().transpose();
               });
    }
  }
  return data_loss + Penalty();
}

void Mlp::PerExampleGradients(const Eigen::MatrixXd& x, const Eigen::VectorXi& y,
                              Eigen::MatrixXd* gradients) const {
  CheckBatch(x, &y);
  const ForwardPass pass = Forward(x);
  Eigen::MatrixXd delta;
  SoftmaxRows(pass.logits, &delta);
  for (Eigen::Index i = 0; i < x.rows(); ++i) delta(i, y(i)) -= 1.0;

  gradients->resize(NumParameters(), x.rows());
  Backward(
      pass, std::move(delta),
      [&](const Layer& layer, const Eigen::MatrixXd& input, const Eigen::MatrixXd& d) {
        // Row-major weight element (o, j) of example i is d(i, o) * input(i, j).
        for (Eigen::Index o = 0; o < layer.outputs; ++o) {
          gradients->middleRows(layer.weight_offset + o * layer.inputs, layer.inputs).noalias() =
              input.transpose() * d.col(o).asDiagonal();
        }
        gradients->middleRows(layer.bias_offset, layer.outputs) = d.transpose();
      });
}

Eigen::MatrixXd Mlp::PredictProba(const Eigen::MatrixXd& x) const {
  CheckBatch(x, nullptr);
  Eigen::MatrixXd proba;
  SoftmaxRows(Forward(x).logits, &proba);
  return proba;
}

}  // namespace fedcrm::model
