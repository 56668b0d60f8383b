#include "core/privacy/noise_calibration.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "core/common/error.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::privacy {
namespace {

constexpr const char* kWhere = "noise calibration";

// Halving from 1 reaches sigma ~ 1e-18 after this many steps, where epsilon
// is astronomically large; the bracket is always found well before.
constexpr int kMaxHalvings = 60;

std::string Str(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

void Validate(double target_epsilon, double q, int64_t steps, double delta,
              const std::vector<double>& orders, double relative_tolerance) {
  if (!(target_epsilon > 0.0) || !std::isfinite(target_epsilon)) {
    throw ConfigError(
        kWhere, "target epsilon is " + Str(target_epsilon) + "; expected a finite number > 0");
  }
  if (!(q >= 0.0 && q <= 1.0)) {
    throw ConfigError(kWhere, "sampling rate q is " + Str(q) + "; expected a number in [0, 1]");
  }
  if (steps < 0) {
    throw ConfigError(kWhere, "steps is " + std::to_string(steps) + "; expected an integer >= 0");
  }
  if (!(delta > 0.0 && delta < 1.0)) {
    throw ConfigError(kWhere, "delta is " + Str(delta) + "; expected a number in (0, 1)");
  }
  if (!(relative_tolerance > 0.0 && relative_tolerance <= 0.1)) {
    throw ConfigError(kWhere, "relative tolerance is " + Str(relative_tolerance) +
                                  "; expected a number in (0, 0.1]");
  }
  ValidateOrders(orders, "noise calibration: orders");
}

}  // namespace

double CalibrateNoiseMultiplier(double target_epsilon, double q, int64_t steps, double delta,
                                const std::vector<double>& orders, double relative_tolerance) {
  Validate(target_epsilon, q, steps, delta, orders, relative_tolerance);
  if (q == 0.0 || steps == 0) return 0.0;

  auto meets_target = [&](double sigma) {
    const RdpCurve curve = SampledGaussianRdp(q, sigma, steps, orders);
    return EpsilonFromRdp(curve, delta).epsilon <= target_epsilon;
  };

  // Invariant once bracketed: meets_target(hi) && !meets_target(lo).
  double lo = 0.0;
  double hi = 0.0;
  if (meets_target(1.0)) {
    hi = 1.0;
    lo = 0.5;
    for (int i = 0; meets_target(lo); ++i) {
      if (i == kMaxHalvings) return lo;  // any noise at all will do
      hi = lo;
      lo /= 2.0;
    }
  } else {
    lo = 1.0;
    hi = 2.0;
    while (!meets_target(hi)) {
      if (hi >= kMaxNoiseMultiplier) {
        throw ConfigError(kWhere, "epsilon " + Str(target_epsilon) + " at delta " + Str(delta) +
                                      " needs a noise multiplier above " +
                                      Str(kMaxNoiseMultiplier) + " for q = " + Str(q) + " and " +
                                      std::to_string(steps) +
                                      " steps; raise epsilon or delta, or lower q or steps");
      }
      lo = hi;
      hi = std::min(2.0 * hi, kMaxNoiseMultiplier);
    }
  }
  while (hi > lo * (1.0 + relative_tolerance)) {
    const double mid = std::sqrt(lo * hi);
    if (meets_target(mid)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

}  // namespace fedcrm::privacy
