#include "core/privacy/noise_calibration.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/common/error.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::privacy {
namespace {

double Epsilon(double q, double sigma, int64_t steps, double delta) {
  return EpsilonFromRdp(SampledGaussianRdp(q, sigma, steps), delta).epsilon;
}

TEST(CalibrateNoiseMultiplierTest, RoundTripsWithinOnePercentAndNeverAbove) {
  struct Case {
    double epsilon, q;
    int64_t steps;
    double delta;
  };
  for (const Case& c :
       {Case{1.0, 0.01, 1000, 1e-5}, Case{0.5, 0.0025, 6000, 1e-5}, Case{8.0, 0.04, 2250, 1e-5},
        Case{3.0, 1.0, 10, 1e-6}, Case{0.2, 0.001, 100, 1e-5}, Case{50.0, 0.1, 20, 1e-5}}) {
    const double sigma = CalibrateNoiseMultiplier(c.epsilon, c.q, c.steps, c.delta);
    const double achieved = Epsilon(c.q, sigma, c.steps, c.delta);
    EXPECT_LE(achieved, c.epsilon) << "target " << c.epsilon << " sigma " << sigma;
    EXPECT_GE(achieved, 0.99 * c.epsilon) << "target " << c.epsilon << " sigma " << sigma;
    // Smallest such sigma: a little less noise misses the target.
    EXPECT_GT(Epsilon(c.q, sigma * (1 - 1e-3), c.steps, c.delta), c.epsilon);
  }
}

TEST(CalibrateNoiseMultiplierTest, RecoversTheSigmaOfAKnownEpsilon) {
  const double sigma = CalibrateNoiseMultiplier(0.7242234026109339, 150.0 / 60000, 6000, 1e-5);
  EXPECT_NEAR(sigma, 1.3, 1.3e-3);
}

TEST(CalibrateNoiseMultiplierTest, NoSamplingNeedsNoNoise) {
  EXPECT_EQ(CalibrateNoiseMultiplier(1.0, 0.0, 1000, 1e-5), 0.0);
  EXPECT_EQ(CalibrateNoiseMultiplier(1.0, 0.1, 0, 1e-5), 0.0);
}

TEST(CalibrateNoiseMultiplierTest, UnreachableTargetIsAClearConfigError) {
  try {
    CalibrateNoiseMultiplier(1e-4, 1.0, 1000000, 1e-5);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("noise multiplier above"), std::string::npos) << e.what();
  }
}

TEST(CalibrateNoiseMultiplierTest, InvalidArgumentsAreConfigErrors) {
  EXPECT_THROW(CalibrateNoiseMultiplier(0.0, 0.01, 100, 1e-5), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(-1.0, 0.01, 100, 1e-5), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(std::nan(""), 0.01, 100, 1e-5), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(1.0, 1.5, 100, 1e-5), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(1.0, 0.01, -1, 1e-5), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(1.0, 0.01, 100, 0.0), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(1.0, 0.01, 100, 1.0), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(1.0, 0.01, 100, 1e-5, {}), ConfigError);
  EXPECT_THROW(CalibrateNoiseMultiplier(1.0, 0.01, 100, 1e-5, DefaultOrders(), 0.0), ConfigError);
}

}  // namespace
}  // namespace fedcrm::privacy
