#include "core/fl/server_optimizer.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "core/common/error.h"

namespace fedcrm::fl {
namespace {

constexpr char kStateWhere[] = "server optimizer state";

std::string Describe(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

void CheckSizes(const Eigen::VectorXd& mean_delta, const Eigen::VectorXd& params) {
  if (mean_delta.size() != params.size()) {
    throw ConfigError("server optimizer", "mean update has " + std::to_string(mean_delta.size()) +
                                              " parameters; the model has " +
                                              std::to_string(params.size()));
  }
}

// Checks the fields every optimizer's state has; returns "rounds".
int64_t ReadCommonState(const nlohmann::json& state, const std::string& type) {
  if (!state.is_object()) throw ConfigError(kStateWhere, "expected a JSON object");
  const auto type_it = state.find("type");
  if (type_it == state.end() || !type_it->is_string() || type_it->get<std::string>() != type) {
    throw ConfigError(std::string(kStateWhere) + ": type",
                      "expected \"" + type + "\" (the configured server optimizer)");
  }
  const auto rounds_it = state.find("rounds");
  if (rounds_it == state.end() || !rounds_it->is_number_integer() ||
      rounds_it->get<int64_t>() < 0) {
    throw ConfigError(std::string(kStateWhere) + ": rounds", "expected an integer >= 0");
  }
  return rounds_it->get<int64_t>();
}

Eigen::VectorXd ReadVector(const nlohmann::json& state, const std::string& field) {
  const std::string where = std::string(kStateWhere) + ": " + field;
  const auto it = state.find(field);
  if (it == state.end() || !it->is_array()) throw ConfigError(where, "expected an array");
  Eigen::VectorXd out(static_cast<Eigen::Index>(it->size()));
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& element = (*it)[i];
    if (!element.is_number() || !std::isfinite(element.get<double>())) {
      throw ConfigError(where, "element " + std::to_string(i) + " is " + element.dump() +
                                   "; expected a finite number");
    }
    out(static_cast<Eigen::Index>(i)) = element.get<double>();
  }
  return out;
}

nlohmann::json ToJson(const Eigen::VectorXd& v) {
  nlohmann::json out = nlohmann::json::array();
  for (Eigen::Index i = 0; i < v.size(); ++i) out.push_back(v(i));
  return out;
}

class FedAvg : public ServerOptimizer {
 public:
  explicit FedAvg(double learning_rate) : learning_rate_(learning_rate) {}

  void Apply(const Eigen::VectorXd& mean_delta, Eigen::VectorXd* params) override {
    CheckSizes(mean_delta, *params);
    *params += learning_rate_ * mean_delta;
    ++rounds_;
  }

  nlohmann::json State() const override { return {{"type", "fedavg"}, {"rounds", rounds_}}; }

  void Restore(const nlohmann::json& state) override { rounds_ = ReadCommonState(state, "fedavg"); }

 private:
  double learning_rate_;
  int64_t rounds_ = 0;
};

// FedAdam and FedYogi differ only in the second-moment update.
class AdaptiveOptimizer : public ServerOptimizer {
 public:
  enum class Variant { kAdam, kYogi };

  AdaptiveOptimizer(Variant variant, const ServerOptimizerConfig& config)
      : variant_(variant), config_(config) {}

  void Apply(const Eigen::VectorXd& mean_delta, Eigen::VectorXd* params) override {
    CheckSizes(mean_delta, *params);
    if (m_.size() == 0) {
      m_ = Eigen::VectorXd::Zero(mean_delta.size());
      v_ = Eigen::VectorXd::Constant(mean_delta.size(), config_.tau * config_.tau);
    } else if (m_.size() != mean_delta.size()) {
      throw ConfigError("server optimizer", "mean update has " + std::to_string(mean_delta.size()) +
                                                " parameters; the optimizer state has " +
                                                std::to_string(m_.size()));
    }
    const double b1 = config_.beta1;
    const double b2 = config_.beta2;
    const Eigen::ArrayXd delta_sq = mean_delta.array().square();
    m_ = b1 * m_ + (1.0 - b1) * mean_delta;
    if (variant_ == Variant::kAdam) {
      v_ = (b2 * v_.array() + (1.0 - b2) * delta_sq).matrix();
    } else {
      // Yogi grows or shrinks v additively toward Delta^2, so a single large
      // update cannot wipe out the accumulated scale as Adam's decay does.
      const Eigen::ArrayXd sign = (v_.array() - delta_sq).sign();
      v_ = (v_.array() - (1.0 - b2) * delta_sq * sign).matrix();
    }
    params->array() += config_.learning_rate * m_.array() / (v_.array().sqrt() + config_.tau);
    ++rounds_;
  }

  nlohmann::json State() const override {
    return {{"type", TypeName()}, {"rounds", rounds_}, {"m", ToJson(m_)}, {"v", ToJson(v_)}};
  }

  void Restore(const nlohmann::json& state) override {
    const int64_t rounds = ReadCommonState(state, TypeName());
    Eigen::VectorXd m = ReadVector(state, "m");
    Eigen::VectorXd v = ReadVector(state, "v");
    if (m.size() != v.size()) {
      throw ConfigError(kStateWhere, "m has " + std::to_string(m.size()) + " entries and v has " +
                                         std::to_string(v.size()) + "; expected equal sizes");
    }
    if (v.size() > 0 && v.minCoeff() < 0.0) {
      throw ConfigError(std::string(kStateWhere) + ": v",
                        "has a negative entry; second moments must be >= 0");
    }
    m_ = std::move(m);
    v_ = std::move(v);
    rounds_ = rounds;
  }

 private:
  std::string TypeName() const { return variant_ == Variant::kAdam ? "fedadam" : "fedyogi"; }

  Variant variant_;
  ServerOptimizerConfig config_;
  Eigen::VectorXd m_;  // empty until the first round fixes the dimension
  Eigen::VectorXd v_;
  int64_t rounds_ = 0;
};

}  // namespace

void ValidateServerOptimizerConfig(const ServerOptimizerConfig& config) {
  if (config.type != "fedavg" && config.type != "fedadam" && config.type != "fedyogi") {
    throw ConfigError("server_optimizer.type",
                      "got '" + config.type + "'; expected one of fedavg, fedadam, fedyogi");
  }
  if (!(config.learning_rate > 0.0 && std::isfinite(config.learning_rate))) {
    throw ConfigError("server_optimizer.learning_rate",
                      "must be a finite number > 0, got " + Describe(config.learning_rate));
  }
  if (config.type == "fedavg") return;
  if (!(config.beta1 >= 0.0 && config.beta1 < 1.0)) {
    throw ConfigError("server_optimizer.beta1", "must be in [0, 1), got " + Describe(config.beta1));
  }
  if (!(config.beta2 >= 0.0 && config.beta2 < 1.0)) {
    throw ConfigError("server_optimizer.beta2", "must be in [0, 1), got " + Describe(config.beta2));
  }
  if (!(config.tau > 0.0 && std::isfinite(config.tau))) {
    throw ConfigError("server_optimizer.tau",
                      "must be a finite number > 0, got " + Describe(config.tau));
  }
}

std::unique_ptr<ServerOptimizer> MakeServerOptimizer(const ServerOptimizerConfig& config) {
  ValidateServerOptimizerConfig(config);
  if (config.type == "fedavg") return std::make_unique<FedAvg>(config.learning_rate);
  const auto variant = config.type == "fedadam" ? AdaptiveOptimizer::Variant::kAdam
                                                : AdaptiveOptimizer::Variant::kYogi;
  return std::make_unique<AdaptiveOptimizer>(variant, config);
}

}  // namespace fedcrm::fl
