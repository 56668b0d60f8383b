#include "core/privacy/rdp_curve.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/common/error.h"

namespace fedcrm::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(RdpCurveTest, ValidatesOrdersAndValues) {
  EXPECT_NO_THROW(RdpCurve({1.5, 2.0, kInf}, {0.1, 0.2, kInf}));
  EXPECT_THROW(RdpCurve({1.5, 2.0}, {0.1}), ConfigError);
  EXPECT_THROW(RdpCurve({1.0}, {0.1}), ConfigError);
  EXPECT_THROW(RdpCurve({0.5}, {0.1}), ConfigError);
  EXPECT_THROW(RdpCurve({std::nan("")}, {0.1}), ConfigError);
  EXPECT_THROW(RdpCurve({2.0}, {-0.1}), ConfigError);
  EXPECT_THROW(RdpCurve({2.0}, {std::nan("")}), ConfigError);
  try {
    const RdpCurve bad({2.0, 3.0}, {0.1, -1.0});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("order 3"), std::string::npos) << e.what();
  }
}

TEST(RdpCurveTest, ComposesByAddingAtEachOrder) {
  const RdpCurve a({2.0, 4.0}, {0.1, 0.3});
  const RdpCurve b({2.0, 4.0}, {0.2, 0.5});
  const RdpCurve sum = a.Compose(b);
  EXPECT_EQ(sum.orders(), (std::vector<double>{2.0, 4.0}));
  EXPECT_DOUBLE_EQ(sum.values()[0], 0.3);
  EXPECT_DOUBLE_EQ(sum.values()[1], 0.8);
  EXPECT_EQ(a + b, sum);
  RdpCurve c = a;
  c += b;
  EXPECT_EQ(c, sum);
  EXPECT_EQ(RdpCurve::Zero({2.0, 4.0}) + a, a);
}

TEST(RdpCurveTest, RefusesToComposeCurvesAtDifferentOrders) {
  const RdpCurve a({2.0, 4.0}, {0.1, 0.3});
  EXPECT_THROW(a.Compose(RdpCurve({2.0, 5.0}, {0.1, 0.3})), ConfigError);
  EXPECT_THROW(a + RdpCurve({2.0}, {0.1}), ConfigError);
  EXPECT_THROW(a + RdpCurve(), ConfigError);
}

TEST(RdpCurveTest, RepeatedScalesAndZeroTimesIsZeroEvenWhereInfinite) {
  const RdpCurve a({2.0, kInf}, {0.25, kInf});
  const RdpCurve thrice = a.Repeated(3);
  EXPECT_DOUBLE_EQ(thrice.values()[0], 0.75);
  EXPECT_TRUE(std::isinf(thrice.values()[1]));
  EXPECT_EQ(a * 3, thrice);
  EXPECT_EQ(3 * a, thrice);
  EXPECT_EQ(a.Repeated(0), RdpCurve::Zero({2.0, kInf}));
  EXPECT_THROW(a.Repeated(-1), ConfigError);
}

}  // namespace
}  // namespace fedcrm::privacy
