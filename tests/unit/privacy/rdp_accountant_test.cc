#include "core/privacy/rdp_accountant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/common/error.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(DefaultOrdersTest, MatchesOpacusAndDpAccountingList) {
  const std::vector<double> orders = DefaultOrders();
  ASSERT_EQ(orders.size(), 99u + 53u + 4u);
  EXPECT_DOUBLE_EQ(orders.front(), 1.1);
  EXPECT_DOUBLE_EQ(orders[98], 10.9);
  EXPECT_EQ(orders[99], 11.0);
  EXPECT_EQ(orders[151], 63.0);
  EXPECT_EQ(orders[152], 128.0);
  EXPECT_EQ(orders.back(), 1024.0);
  for (size_t i = 1; i < orders.size(); ++i) EXPECT_LT(orders[i - 1], orders[i]);
}

// dp_accounting's rdp_privacy_accountant_test: q = 0.01, sigma = 2.5, 50
// steps. Its published values are 1.08549e-3 and 2.18076e-3. At the
// fractional order 2.5, dp_accounting (since 0.4) adds the absolute values of
// the series terms, an upper bound; the exact value (this code, Opacus, and
// numerical quadrature of A_alpha with mpmath) is 1.0854181e-3, 6.5e-5 below,
// inside the 1e-4 relative tolerance of the published value.
TEST(SampledGaussianRdpTest, ReproducesDpAccountingValues) {
  const RdpCurve curve = SampledGaussianRdp(0.01, 2.5, 50, {2.5, 5.0});
  EXPECT_NEAR(curve.values()[0], 1.08549e-3, 1e-4 * 1.08549e-3);
  EXPECT_NEAR(curve.values()[1], 2.18076e-3, 1e-4 * 2.18076e-3);
  EXPECT_NEAR(curve.values()[0], 1.0854180568268625e-3, 1e-9 * 1.0854e-3);
  EXPECT_NEAR(curve.values()[1], 2.1807565623077614e-3, 1e-9 * 2.1807e-3);
}

// Reference values: log(A_alpha) / (alpha - 1) with A_alpha integrated
// numerically (mpmath.quad, 30 digits) from its definition. These settings
// (large q, small sigma) make the fractional series cancel and converge
// slowly, unlike the DP-SGD settings above.
TEST(SampledGaussianRdpTest, MatchesNumericalIntegrationInHardSettings) {
  struct Case {
    double q, sigma, order, rdp;
  };
  for (const Case& c :
       {Case{0.2, 0.8, 1.5, 0.0836300160173837}, Case{0.2, 0.8, 7.3, 3.83846736421963},
        Case{0.5, 0.7, 2.5, 1.4935461278373}, Case{0.001, 5.0, 10.5, 2.14331852129972e-7}}) {
    EXPECT_NEAR(SampledGaussianRdpAtOrder(c.q, c.sigma, c.order), c.rdp, 1e-9 * c.rdp)
        << "q=" << c.q << " sigma=" << c.sigma << " order=" << c.order;
  }
}

TEST(SampledGaussianRdpTest, FullSamplingIsThePlainGaussian) {
  const std::vector<double> orders = {1.5, 2.0, 7.3, 64.0, 1024.0};
  const RdpCurve curve = SampledGaussianRdp(1.0, 1.7, 12, orders);
  for (size_t i = 0; i < orders.size(); ++i) {
    EXPECT_DOUBLE_EQ(curve.values()[i], 12 * orders[i] / (2 * 1.7 * 1.7));
  }
}

TEST(SampledGaussianRdpTest, DegenerateCases) {
  EXPECT_EQ(SampledGaussianRdpAtOrder(0.0, 1.0, 3.5), 0.0);
  EXPECT_EQ(SampledGaussianRdpAtOrder(0.0, 0.0, kInf), 0.0);
  EXPECT_EQ(SampledGaussianRdpAtOrder(0.3, 0.0, 2.0), kInf);
  EXPECT_EQ(SampledGaussianRdpAtOrder(0.3, 1.0, kInf), kInf);
  EXPECT_EQ(SampledGaussianRdpAtOrder(1.0, 1.0, kInf), kInf);
  EXPECT_EQ(SampledGaussianRdp(0.3, 1.0, 0, {2.0, kInf}), RdpCurve::Zero({2.0, kInf}));
}

// For an integer order the two series terminate and must agree with the
// binomial sum; just below it the series must be continuous.
TEST(SampledGaussianRdpTest, FractionalAndIntegerPathsAgree) {
  for (double q : {0.001, 0.01, 0.1, 0.5}) {
    for (double sigma : {0.7, 1.0, 2.5, 8.0}) {
      for (int order : {2, 5, 17}) {
        const double by_binomial = internal::LogAIntegerOrder(q, sigma, order);
        const auto by_series = internal::LogAFractionalOrder(q, sigma, order);
        ASSERT_TRUE(by_series.has_value()) << q << " " << sigma << " " << order;
        EXPECT_NEAR(*by_series, by_binomial, 1e-9 * by_binomial + 1e-15)
            << "q=" << q << " sigma=" << sigma << " order=" << order;
        const double nearby = SampledGaussianRdpAtOrder(q, sigma, order - 1e-7);
        const double exact = SampledGaussianRdpAtOrder(q, sigma, order);
        EXPECT_NEAR(nearby, exact, 1e-5 * exact) << q << " " << sigma << " " << order;
        EXPECT_LE(nearby, exact * (1 + 1e-12));
      }
    }
  }
}

// Rényi divergence does not decrease with the order.
TEST(SampledGaussianRdpTest, NondecreasingInOrder) {
  for (double q : {0.001, 0.01, 0.05}) {
    for (double sigma : {0.8, 1.3, 4.0}) {
      const RdpCurve curve = SampledGaussianRdp(q, sigma, 1);
      for (size_t i = 1; i < curve.size(); ++i) {
        EXPECT_LE(curve.values()[i - 1], curve.values()[i] * (1 + 1e-10))
            << "q=" << q << " sigma=" << sigma << " order=" << curve.orders()[i];
      }
    }
  }
}

TEST(SampledGaussianRdpTest, EpsilonGrowsWithStepsAndRateAndFallsWithNoise) {
  auto eps = [](double q, double sigma, int64_t steps) {
    return EpsilonFromRdp(SampledGaussianRdp(q, sigma, steps), 1e-5).epsilon;
  };
  double last = 0.0;
  for (int64_t steps : {1, 10, 100, 1000, 10000}) {
    const double e = eps(0.01, 1.1, steps);
    EXPECT_GT(e, last) << steps;
    last = e;
  }
  last = 0.0;
  for (double q : {0.001, 0.004, 0.02, 0.1, 0.5, 1.0}) {
    const double e = eps(q, 1.1, 100);
    EXPECT_GT(e, last) << q;
    last = e;
  }
  last = kInf;
  for (double sigma : {0.5, 0.8, 1.1, 2.0, 5.0, 20.0}) {
    const double e = eps(0.01, sigma, 100);
    EXPECT_LT(e, last) << sigma;
    last = e;
  }
}

TEST(SampledGaussianRdpTest, InvalidArgumentsAreConfigErrors) {
  EXPECT_THROW(SampledGaussianRdp(-0.1, 1.0, 10), ConfigError);
  EXPECT_THROW(SampledGaussianRdp(1.5, 1.0, 10), ConfigError);
  EXPECT_THROW(SampledGaussianRdp(std::nan(""), 1.0, 10), ConfigError);
  EXPECT_THROW(SampledGaussianRdp(0.1, -1.0, 10), ConfigError);
  EXPECT_THROW(SampledGaussianRdp(0.1, kInf, 10), ConfigError);
  EXPECT_THROW(SampledGaussianRdp(0.1, 1.0, -1), ConfigError);
  EXPECT_THROW(SampledGaussianRdp(0.1, 1.0, 10, {}), ConfigError);
  EXPECT_THROW(SampledGaussianRdp(0.1, 1.0, 10, {2.0, 1.0}), ConfigError);
  EXPECT_THROW(SampledGaussianRdpAtOrder(0.1, 1.0, 0.9), ConfigError);
  try {
    SampledGaussianRdp(2.0, 1.0, 10);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sampling rate"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[0, 1]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fedcrm::privacy
