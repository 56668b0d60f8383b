// A small SVG line chart: one line per series over rounds, with axes, grid,
// ticks and a legend. Enough for the report of `fedcrm simulate`; no
// dependency on a plotting library.
#pragma once

#include <string>
#include <vector>

namespace fedcrm::sim {

struct ChartSeries {
  std::string label;
  std::vector<double> values;  // values[i] is round i + 1; NaN points are skipped
  bool dashed = false;         // baselines are drawn dashed
};

struct LineChart {
  std::string title;
  std::string x_label = "round";
  std::string y_label;
  std::vector<ChartSeries> series;
};

// Renders the chart as a standalone SVG document (width x height pixels).
std::string RenderSvg(const LineChart& chart, int width = 760, int height = 440);

// "Nice" axis bounds and tick step covering [lo, hi] with about `target` ticks.
struct AxisTicks {
  double lo = 0, hi = 1, step = 0.1;
};
AxisTicks NiceTicks(double lo, double hi, int target = 6);

}  // namespace fedcrm::sim
