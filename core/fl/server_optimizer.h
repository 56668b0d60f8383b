// Server-side optimizers: how the aggregator turns a round's mean update into
// the next global model (Reddi et al. 2021, "Adaptive Federated
// Optimization", Algorithm 2).
//
// The mean client delta is used as a pseudo-gradient step Delta:
//   fedavg:  x += eta * Delta
//   fedadam: m = b1 m + (1-b1) Delta;  v = b2 v + (1-b2) Delta^2;
//            x += eta * m / (sqrt(v) + tau)
//   fedyogi: as fedadam but v = v - (1-b2) Delta^2 sign(v - Delta^2)
// with m starting at 0 and v at tau^2 (the paper's v_{-1} >= tau^2), and no
// bias correction, as in the paper.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace fedcrm::fl {

struct ServerOptimizerConfig {
  std::string type = "fedavg";  // "fedavg" | "fedadam" | "fedyogi"
  double learning_rate = 1.0;   // eta, > 0
  double beta1 = 0.9;           // in [0, 1); adaptive types only
  double beta2 = 0.99;          // in [0, 1); adaptive types only
  double tau = 1e-3;            // > 0; adaptivity floor, adaptive types only
};

// Throws fedcrm::ConfigError naming the offending field.
void ValidateServerOptimizerConfig(const ServerOptimizerConfig& config);

class ServerOptimizer {
 public:
  virtual ~ServerOptimizer() = default;

  // Moves *params by the round's mean client delta. Throws
  // fedcrm::ConfigError if the sizes disagree with each other or with the
  // optimizer's state.
  virtual void Apply(const Eigen::VectorXd& mean_delta, Eigen::VectorXd* params) = 0;

  // The state carried across rounds, as JSON, so a server can persist it:
  //   {"type": "fedadam", "rounds": 3, "m": [...], "v": [...]}
  // (fedavg has only "type" and "rounds").
  virtual nlohmann::json State() const = 0;

  // Replaces the state with one produced by State() of the same type.
  // Throws fedcrm::ConfigError for a malformed state or one of another type.
  virtual void Restore(const nlohmann::json& state) = 0;
};

// Throws fedcrm::ConfigError for an invalid config.
std::unique_ptr<ServerOptimizer> MakeServerOptimizer(const ServerOptimizerConfig& config);

}  // namespace fedcrm::fl
