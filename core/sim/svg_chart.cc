#include "core/sim/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <vector>

namespace fedcrm::sim {
namespace {

// A palette that stays distinguishable for colour-blind readers (Okabe–Ito).
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Number(double value, int precision) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << value;
  return out.str();
}

// Decimals needed to print ticks spaced by `step` without repeating labels.
int TickPrecision(double step) {
  int precision = 0;
  for (double scaled = step; precision < 8; ++precision, scaled *= 10) {
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) break;
  }
  return precision;
}

}  // namespace

AxisTicks NiceTicks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    const double pad = std::abs(lo) > 0 ? std::abs(lo) * 0.05 : 0.5;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw) break;
  }
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

std::string RenderSvg(const LineChart& chart, int width, int height) {
  // Plot area, leaving room for the title, the axis labels and the legend.
  const double left = 70, right = width - 210.0, top = 44, bottom = height - 56.0;

  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  size_t rounds = 1;
  for (const auto& s : chart.series) {
    rounds = std::max(rounds, s.values.size());
    for (double v : s.values) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  const AxisTicks y = NiceTicks(lo, hi);
  const AxisTicks x = NiceTicks(1, static_cast<double>(std::max<size_t>(rounds, 2)), 8);
  const double x_lo = 1, x_hi = std::max(2.0, static_cast<double>(rounds));
  auto px = [&](double round) { return left + (round - x_lo) / (x_hi - x_lo) * (right - left); };
  auto py = [&](double v) { return bottom - (v - y.lo) / (y.hi - y.lo) * (bottom - top); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height
      << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" "
      << "font-weight=\"bold\">" << Escape(chart.title) << "</text>\n";

  // Grid and tick labels.
  const int y_precision = TickPrecision(y.step);
  for (double v = y.lo; v <= y.hi + y.step / 2; v += y.step) {
    svg << "<line x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << Number(py(v), 1)
        << "\" y2=\"" << Number(py(v), 1) << "\" stroke=\"#e5e5e5\"/>\n"
        << "<text x=\"" << left - 8 << "\" y=\"" << Number(py(v) + 4, 1)
        << "\" text-anchor=\"end\" fill=\"#444\">" << Number(v, y_precision) << "</text>\n";
  }
  // Round 1 and then the multiples of the step (5, 10, ...), as people count.
  std::vector<double> x_ticks = {1.0};
  for (double r = x.lo + x.step; r <= x_hi + 1e-9; r += x.step) {
    if (r > 1.0 + x.step / 2) x_ticks.push_back(r);
  }
  for (double r : x_ticks) {
    svg << "<line x1=\"" << Number(px(r), 1) << "\" x2=\"" << Number(px(r), 1) << "\" y1=\""
        << bottom << "\" y2=\"" << bottom + 5 << "\" stroke=\"#444\"/>\n"
        << "<text x=\"" << Number(px(r), 1) << "\" y=\"" << bottom + 19
        << "\" text-anchor=\"middle\" fill=\"#444\">" << Number(r, 0) << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\""
      << bottom - top << "\" fill=\"none\" stroke=\"#444\"/>\n"
      << "<text x=\"" << (left + right) / 2 << "\" y=\"" << height - 14
      << "\" text-anchor=\"middle\">" << Escape(chart.x_label) << "</text>\n"
      << "<text transform=\"translate(18," << (top + bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << Escape(chart.y_label) << "</text>\n";

  // One polyline per series; a lone point gets a marker so it stays visible.
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const auto& s = chart.series[i];
    const char* colour = kColours[i % std::size(kColours)];
    std::ostringstream points;
    int count = 0;
    for (size_t r = 0; r < s.values.size(); ++r) {
      if (!std::isfinite(s.values[r])) continue;
      points << Number(px(static_cast<double>(r + 1)), 1) << "," << Number(py(s.values[r]), 1)
             << " ";
      ++count;
    }
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"" << points.str()
        << "\"/>\n";
    if (count == 1) {
      svg << "<circle cx=\"" << Number(px(1), 1) << "\" cy=\"" << Number(py(s.values[0]), 1)
          << "\" r=\"3\" fill=\"" << colour << "\"/>\n";
    }
    const double ly = top + 10 + 20.0 * static_cast<double>(i);
    svg << "<line x1=\"" << right + 14 << "\" x2=\"" << right + 40 << "\" y1=\"" << ly << "\" y2=\""
        << ly << "\" stroke=\"" << colour << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n"
        << "<text x=\"" << right + 46 << "\" y=\"" << ly + 4 << "\">" << Escape(s.label)
        << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace fedcrm::sim
