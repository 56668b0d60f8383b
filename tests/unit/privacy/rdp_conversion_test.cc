#include "core/privacy/rdp_conversion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/common/error.h"
#include "core/privacy/rdp_accountant.h"

namespace fedcrm::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The orders of TF Privacy's compute_dp_sgd_privacy and of Opacus's
// RDPAccountant: DefaultOrders() without 11 and without 128 ... 1024.
std::vector<double> TfPrivacyOrders() {
  std::vector<double> orders;
  for (int x = 1; x < 100; ++x) orders.push_back(1.0 + x / 10.0);
  for (int a = 12; a < 64; ++a) orders.push_back(a);
  return orders;
}

// TF Privacy's compute_dp_sgd_privacy (q = batch / N, steps = epochs * N /
// batch). Both published values come from the improved conversion: the
// classic one gives 0.94187 and 1.70929 on the same curves (checked against
// TF Privacy's formulas run on dp_accounting 0.6 and Opacus 1.6). The optimal
// orders are in both order lists, so the default list gives the same result.
TEST(EpsilonFromRdpTest, ReproducesTfPrivacyComputeDpSgdPrivacy) {
  for (const std::vector<double>& orders : {TfPrivacyOrders(), DefaultOrders()}) {
    const auto mnist = EpsilonFromRdp(SampledGaussianRdp(150.0 / 60000, 1.3, 6000, orders), 1e-5);
    EXPECT_NEAR(mnist.epsilon, 0.72422, 5e-6);
    EXPECT_NEAR(mnist.epsilon, 0.7242234026109339, 1e-9);
    EXPECT_EQ(mnist.order, 19.0);
    const auto big = EpsilonFromRdp(SampledGaussianRdp(100.0 / 100000, 1.0, 30000, orders), 1e-7);
    EXPECT_NEAR(big.epsilon, 1.41550, 5e-6);
    EXPECT_NEAR(big.epsilon, 1.4154988495444845, 1e-9);
    EXPECT_EQ(big.order, 13.0);
  }
}

// Opacus RDPAccountant (its default alphas) uses the improved conversion.
// dp_accounting reports 7.32933 here: at the optimal order 3.9 it bounds the
// fractional series by the sum of absolute values, 5e-5 relative above the
// exact RDP that Opacus and this code compute.
TEST(EpsilonFromRdpTest, ReproducesOpacusRdpAccountant) {
  const auto result = EpsilonFromRdp(SampledGaussianRdp(0.04, 1.5, 2250, TfPrivacyOrders()), 1e-5);
  EXPECT_NEAR(result.epsilon, 7.32911, 5e-6);
  EXPECT_NEAR(result.epsilon, 7.3291111714386545, 1e-8);
  EXPECT_DOUBLE_EQ(result.order, 3.9);
}

// The classic conversion on the same curves, as older TF Privacy releases
// computed it: rdp - log(delta) / (alpha - 1), minimized over the orders.
TEST(EpsilonFromRdpTest, ClassicConversionIsLooser) {
  const RdpCurve mnist = SampledGaussianRdp(150.0 / 60000, 1.3, 6000, TfPrivacyOrders());
  const auto classic = EpsilonFromRdp(mnist, 1e-5, RdpConversion::kClassic);
  EXPECT_NEAR(classic.epsilon, 0.9418705671682341, 1e-9);
  EXPECT_EQ(classic.order, 19.0);
  const RdpCurve opacus = SampledGaussianRdp(0.04, 1.5, 2250, TfPrivacyOrders());
  const auto classic_opacus = EpsilonFromRdp(opacus, 1e-5, RdpConversion::kClassic);
  EXPECT_NEAR(classic_opacus.epsilon, 8.073848277153212, 1e-8);
  EXPECT_DOUBLE_EQ(classic_opacus.order, 4.1);
}

TEST(DeltaFromRdpTest, InvertsEpsilonFromRdp) {
  const RdpCurve curve = SampledGaussianRdp(150.0 / 60000, 1.3, 6000, TfPrivacyOrders());
  // dp_accounting's compute_delta on the same curve.
  const auto at_half = DeltaFromRdp(curve, 0.5);
  EXPECT_NEAR(at_half.delta, 5.376426464681783e-4, 1e-9 * 5.4e-4);
  EXPECT_EQ(at_half.order, 18.0);
  for (RdpConversion conversion : {RdpConversion::kImproved, RdpConversion::kClassic}) {
    for (double delta : {1e-3, 1e-5, 1e-9}) {
      const double eps = EpsilonFromRdp(curve, delta, conversion).epsilon;
      EXPECT_NEAR(DeltaFromRdp(curve, eps, conversion).delta, delta, 1e-9 * delta);
    }
  }
}

TEST(EpsilonFromRdpTest, ZeroInfiniteAndInfiniteOrderCurves) {
  const std::vector<double> orders = {2.0, 32.0, kInf};
  EXPECT_EQ(EpsilonFromRdp(RdpCurve::Zero(orders), 1e-5).epsilon, 0.0);
  EXPECT_EQ(EpsilonFromRdp(RdpCurve::Zero(orders), 1e-5, RdpConversion::kClassic).epsilon, 0.0);
  EXPECT_EQ(DeltaFromRdp(RdpCurve::Zero(orders), 0.0).delta, 0.0);

  const auto none = EpsilonFromRdp(RdpCurve(orders, {kInf, kInf, kInf}), 1e-5);
  EXPECT_EQ(none.epsilon, kInf);
  EXPECT_TRUE(std::isnan(none.order));
  EXPECT_EQ(DeltaFromRdp(RdpCurve(orders, {kInf, kInf, kInf}), 3.0).delta, 1.0);

  // At the infinite order RDP is pure DP: epsilon = r for every delta.
  const RdpCurve pure({2.0, kInf}, {kInf, 0.25});
  EXPECT_EQ(EpsilonFromRdp(pure, 1e-9).epsilon, 0.25);
  EXPECT_EQ(EpsilonFromRdp(pure, 1e-9).order, kInf);
  EXPECT_EQ(DeltaFromRdp(pure, 0.25).delta, 0.0);
  EXPECT_EQ(DeltaFromRdp(pure, 0.2).delta, 1.0);
}

// delta <= sqrt(1 - exp(-r)): a tiny RDP means epsilon 0 at a moderate delta.
TEST(EpsilonFromRdpTest, TinyRdpGivesZeroEpsilon) {
  const RdpCurve tiny({2.0, 8.0}, {1e-12, 4e-12});
  EXPECT_EQ(EpsilonFromRdp(tiny, 1e-5).epsilon, 0.0);
  EXPECT_GT(EpsilonFromRdp(tiny, 1e-5, RdpConversion::kClassic).epsilon, 0.0);
}

TEST(EpsilonFromRdpTest, InvalidArgumentsAreConfigErrors) {
  const RdpCurve curve({2.0}, {0.1});
  EXPECT_THROW(EpsilonFromRdp(curve, 0.0), ConfigError);
  EXPECT_THROW(EpsilonFromRdp(curve, 1.0), ConfigError);
  EXPECT_THROW(EpsilonFromRdp(curve, -1e-5), ConfigError);
  EXPECT_THROW(EpsilonFromRdp(curve, std::nan("")), ConfigError);
  EXPECT_THROW(EpsilonFromRdp(RdpCurve(), 1e-5), ConfigError);
  EXPECT_THROW(DeltaFromRdp(curve, -0.5), ConfigError);
  EXPECT_THROW(DeltaFromRdp(curve, kInf), ConfigError);
  EXPECT_THROW(DeltaFromRdp(RdpCurve(), 1.0), ConfigError);
}

}  // namespace
}  // namespace fedcrm::privacy
