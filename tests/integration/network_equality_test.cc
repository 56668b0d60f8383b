// The private federation as processes (aggregator + one worker per silo, over
// mutual TLS with SecAgg+) trains the same model as the in-process path, up
// to the error that secure aggregation's encodings introduce by design.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cli/support/network_federation.h"
#include "core/fl/round_config.h"
#include "core/model/model.h"
#include "core/secagg/fixed_point.h"
#include "core/secagg/quantization.h"
#include "core/sim/federation.h"
#include "tests/integration/integration_support.h"

namespace fedcrm::integration {
namespace {

// The per-coordinate bound on |network - in-process| for the parameters after
// one round of FedAvg. Derivation (docs/protocol.md, "Weighting"):
//
// Each silo sends [w_i·Δ_i, w_i], w_i = rows_i / total rows, quantized with
// the round's QuantizationConfig. The aggregator decodes S' = S + a and
// W' = W + b with |a_j|, |b| ≤ e = QuantizationErrorBound(q, n) (each
// encoding is within one step of its input; no coordinate is clipped, see
// the check in the test), and W = 1 under records weighting. The mean it
// applies is S'/W' where in-process computes S/W = S, so
//   |S'/W' - S| = |a_j - S_j·b| / (1 + b) ≤ e·(1 + |S_j|) / (1 - e),
// and FedAvg moves the parameters by lr times the mean.
//
// The statistics stage sums each silo's (count, sum, sum of squares) as
// fixed point with 2^-f resolution (f = kStatisticsFractionalBits), so every
// summed statistic is off by at most n·2^-(f+1); the standardization and all
// later arithmetic (the silo weight's double rounding included) differ by
// far less than that. We allow each of the `steps` local SGD steps of size
// lr to move a coordinate by n·2^-f because of it: generous, since
// the statistics are sums over thousands of rows and their relative error
// is smaller still by that factor.
double CoordinateBound(double in_process_mean, double quantization_error, double server_lr,
                       double local_lr, int64_t steps, int64_t silos) {
  const double quantization = server_lr * quantization_error * (1.0 + std::abs(in_process_mean)) /
                              (1.0 - quantization_error);
  const double statistics = static_cast<double>(steps) * local_lr * static_cast<double>(silos) *
                            std::ldexp(1.0, -secagg::kStatisticsFractionalBits);
  return quantization + statistics;
}

TEST(NetworkEqualityTest, OneDpRoundMatchesInProcessWithinTheQuantizationBound) {
  ScratchDir scratch;
  const sim::SimulationConfig config = ChurnConfig(3000);
  ASSERT_EQ(config.silos.size(), 3u);
  // The derivation above assumes params += lr · mean and W = 1.
  ASSERT_EQ(config.server_optimizer.type, "fedavg");
  ASSERT_EQ(config.weighting, fl::Weighting::kByRecords);

  // Both paths draw DP noise from sim::NoiseSeed (reproducible noise).
  const sim::SimulationResult in_process = sim::RunSimulation(config, {});
  sim::SimulationOptions options;
  const cli::NetworkFederationOptions network = NetworkOptions(scratch.path());
  options.private_federation = [&network](const sim::SimulationConfig& c, double sigma,
                                          const sim::Evaluator& evaluator) {
    return cli::RunNetworkFederation(c, sigma, evaluator, network);
  };
  const sim::SimulationResult over_network = sim::RunSimulation(config, options);

  const sim::StrategyResult& expected = Strategy(in_process, sim::StrategyKind::kFederatedPrivate);
  const sim::StrategyResult& actual = Strategy(over_network, sim::StrategyKind::kFederatedPrivate);
  EXPECT_EQ(expected.label, "Federated + DP");
  EXPECT_EQ(actual.label, "Federated + DP + SecAgg");
  ASSERT_GT(in_process.noise_multiplier, 0.0);
  ASSERT_EQ(expected.parameters.size(), actual.parameters.size());

  // The network path does not set secureAggregation, so the round runs with
  // the aggregator's default quantization.
  const secagg::QuantizationConfig quantization = fl::RoundConfig{}.quantization;
  const int64_t n = static_cast<int64_t>(config.silos.size());
  const double e = secagg::QuantizationErrorBound(quantization, n);
  ASSERT_LT(e, 1.0);
  const double lr = config.server_optimizer.learning_rate;
  const Eigen::VectorXd initial =
      model::MakeModel(in_process.model_spec, config.seed)->Parameters();

  double worst_ratio = 0;
  for (Eigen::Index j = 0; j < expected.parameters.size(); ++j) {
    const double mean = (expected.parameters[j] - initial[j]) / lr;
    // A clipped coordinate would break the bound. |w_i·Δ_ij| ≤ clip for every
    // silo cannot be seen from here, but the weighted mean far inside the
    // clip makes it implausible for these small updates.
    ASSERT_LT(std::abs(mean), quantization.clip / 2) << "coordinate " << j;
    const double bound =
        CoordinateBound(mean, e, lr, config.training.learning_rate, config.training.steps, n);
    const double error = std::abs(actual.parameters[j] - expected.parameters[j]);
    EXPECT_LE(error, bound) << "coordinate " << j << ": in-process " << expected.parameters[j]
                            << ", network " << actual.parameters[j];
    worst_ratio = std::max(worst_ratio, error / bound);
  }
  // The two paths must really have trained: a round moved the parameters.
  EXPECT_GT((expected.parameters - initial).norm(), 10 * e);
  std::cout << "largest error / bound: " << worst_ratio << "\n";

  // The round's evaluation stage scored the released model on the silos'
  // held-out rows under secure aggregation; pooling those rows gives the
  // same ROC AUC up to its 1/1000 score bins.
  ASSERT_EQ(actual.curve.size(), 1u);
  ASSERT_TRUE(actual.metrics.count("roc_auc"));
  EXPECT_NEAR(actual.curve.back(), actual.metrics.at("roc_auc"), 2e-3);
  EXPECT_NE(actual.curve.back(), actual.metrics.at("roc_auc"))
      << "the curve should come from the evaluation stage, not the pooled evaluator";

  // Every silo contributed and was charged one round.
  for (const auto& silo : config.silos) {
    EXPECT_EQ(actual.rounds_by_silo.at(silo.name), 1) << silo.name;
    EXPECT_DOUBLE_EQ(actual.epsilon_by_silo.at(silo.name), expected.epsilon_by_silo.at(silo.name))
        << silo.name;
  }
}

}  // namespace
}  // namespace fedcrm::integration
