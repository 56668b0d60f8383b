#include "core/sim/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fedcrm::sim {
namespace {

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(NiceTicksTest, CoversTheRangeWithRoundSteps) {
  const AxisTicks t = NiceTicks(0.613, 0.874);
  EXPECT_LE(t.lo, 0.613);
  EXPECT_GE(t.hi, 0.874);
  EXPECT_DOUBLE_EQ(t.step, 0.05);
  const AxisTicks flat = NiceTicks(0.5, 0.5);
  EXPECT_LT(flat.lo, 0.5);
  EXPECT_GT(flat.hi, 0.5);
}

TEST(SvgChartTest, DrawsOneLineAndLegendEntryPerSeriesAndEscapesText) {
  LineChart chart;
  chart.title = "AUC <per> round & more";
  chart.y_label = "ROC AUC";
  chart.series = {{"Federated", {0.6, 0.7, 0.8}, false}, {"eu alone", {0.6, NAN, 0.65}, true}};
  const std::string svg = RenderSvg(chart);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<polyline"), 2);
  EXPECT_NE(svg.find("AUC &lt;per&gt; round &amp; more"), std::string::npos);
  EXPECT_NE(svg.find(">Federated</text>"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);  // the baseline is dashed
  EXPECT_EQ(svg.find("nan"), std::string::npos);               // NaN points are skipped
}

}  // namespace
}  // namespace fedcrm::sim
