#include "core/train/local_trainer.h"

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/train/minibatch.h"

namespace fedcrm::train {
namespace {

constexpr char kDataWhere[] = "local training data";

std::string Describe(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void CheckDataFitsModel(const model::Model& model, const data::Dataset& data) {
  if (data.rows() == 0) {
    throw ConfigError(kDataWhere, "has no rows; expected at least one example");
  }
  if (data.y.size() != data.rows()) {
    throw ConfigError(kDataWhere, "has " + std::to_string(data.rows()) + " feature rows but " +
                                      std::to_string(data.y.size()) + " labels");
  }
  const model::ModelSpec& spec = model.spec();
  if (data.cols() != spec.input_dim) {
    throw ConfigError(kDataWhere, "has " + std::to_string(data.cols()) +
                                      " encoded features; the model expects " +
                                      std::to_string(spec.input_dim));
  }
  for (Eigen::Index i = 0; i < data.y.size(); ++i) {
    if (data.y(i) < 0 || data.y(i) >= spec.num_classes) {
      throw ConfigError(kDataWhere, "row " + std::to_string(i) + " has label " +
                                        std::to_string(data.y(i)) +
                                        "; expected a class index in [0, " +
                                        std::to_string(spec.num_classes) + ")");
    }
  }
}

// Draws one step's gradient (data term plus L2 penalty) at the model's
// current parameters and returns the number of examples it used.
class GradientSource {
 public:
  GradientSource(const data::Dataset& data, const LocalTrainingConfig& config)
      : data_(data), config_(config) {
    if (!config.dp && config.batch_size > 0 && config.batch_size < data.rows()) {
      sampler_.emplace(data.rows(), config.batch_size);
    }
  }

  int64_t Next(const model::Model& model, SecureRandom& rng, Eigen::VectorXd* gradient) {
    if (config_.dp) {
      const std::vector<Eigen::Index> batch =
          PoissonSample(data_.rows(), config_.dp->sampling_rate, rng);
      *gradient = PrivateGradient(model, data_, batch, *config_.dp, rng);
      return static_cast<int64_t>(batch.size());
    }
    if (!sampler_) {  // full batch: the exact gradient
      model.LossAndGradient(data_.x, data_.y, gradient);
      return data_.rows();
    }
    const std::vector<Eigen::Index> batch = sampler_->Next(rng);
    GatherRows(data_, batch, 0, batch.size(), &x_, &y_);
    model.LossAndGradient(x_, y_, gradient);
    return static_cast<int64_t>(batch.size());
  }

 private:
  const data::Dataset& data_;
  const LocalTrainingConfig& config_;
  std::optional<MinibatchSampler> sampler_;
  Eigen::MatrixXd x_;
  Eigen::VectorXi y_;
};

}  // namespace

void ValidateLocalTrainingConfig(const LocalTrainingConfig& config) {
  if (config.steps < 1) {
    throw ConfigError("local_training.steps", "must be >= 1, got " + std::to_string(config.steps));
  }
  if (!(config.learning_rate > 0.0 && std::isfinite(config.learning_rate))) {
    throw ConfigError("local_training.learning_rate",
                      "must be a finite number > 0, got " + Describe(config.learning_rate));
  }
  if (config.batch_size < 0) {
    throw ConfigError("local_training.batch_size",
                      "must be >= 0 (0 = full batch), got " + std::to_string(config.batch_size));
  }
  if (!(config.momentum >= 0.0 && config.momentum < 1.0)) {
    throw ConfigError("local_training.momentum",
                      "must be in [0, 1), got " + Describe(config.momentum));
  }
  if (!(config.proximal_mu >= 0.0 && std::isfinite(config.proximal_mu))) {
    throw ConfigError("local_training.proximal_mu",
                      "must be a finite number >= 0, got " + Describe(config.proximal_mu));
  }
  if (config.dp) {
    try {
      ValidateDpSgdConfig(*config.dp);
    } catch (const ConfigError& e) {
      throw ConfigError("local_training." + e.where(), e.problem());
    }
  }
}

LocalTrainingResult TrainLocal(const model::Model& global, const data::Dataset& data,
                               const LocalTrainingConfig& config, SecureRandom& rng) {
  ValidateLocalTrainingConfig(config);
  CheckDataFitsModel(global, data);

  std::unique_ptr<model::Model> local = global.Clone();
  const Eigen::VectorXd& global_params = global.Parameters();
  Eigen::VectorXd params = global_params;
  Eigen::VectorXd velocity = Eigen::VectorXd::Zero(params.size());
  Eigen::VectorXd gradient;
  GradientSource source(data, config);

  LocalTrainingResult result;
  for (int64_t step = 0; step < config.steps; ++step) {
    result.examples_used += source.Next(*local, rng, &gradient);
    if (config.proximal_mu > 0.0) gradient += config.proximal_mu * (params - global_params);
    velocity = config.momentum * velocity + gradient;
    params -= config.learning_rate * velocity;
    local->SetParameters(params);
  }
  result.steps = config.steps;
  result.mean_batch_size =
      static_cast<double>(result.examples_used) / static_cast<double>(config.steps);
  result.delta = params - global_params;
  return result;
}

}  // namespace fedcrm::train
