#include "core/secagg/fixed_point.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

TEST(FixedPointTest, SignedSumsModulo2To64AreExact) {
  const std::vector<double> a = {1.5, -2.25, 1e6, -0.000001};
  const std::vector<double> b = {-3.0, 2.25, 12345.125, 0.0};
  auto ea = EncodeFixedPoint(a, kStatisticsFractionalBits);
  const auto eb = EncodeFixedPoint(b, kStatisticsFractionalBits);
  for (size_t i = 0; i < ea.size(); ++i) ea[i] += eb[i];  // wraps mod 2^64
  const auto sum = DecodeFixedPoint(ea, kStatisticsFractionalBits);
  const double resolution = std::ldexp(1.0, -kStatisticsFractionalBits);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(sum[i], a[i] + b[i], resolution) << i;
  EXPECT_DOUBLE_EQ(sum[0], -1.5);
}

TEST(FixedPointTest, RefusesValuesThatCouldWrap) {
  const std::vector<double> huge = {0.0, std::ldexp(1.0, 62 - kStatisticsFractionalBits)};
  EXPECT_THROW(EncodeFixedPoint(huge, kStatisticsFractionalBits), SecAggError);
  const std::vector<double> nan = {NAN};
  EXPECT_THROW(EncodeFixedPoint(nan, kStatisticsFractionalBits), SecAggError);
}

}  // namespace
}  // namespace fedcrm::secagg
