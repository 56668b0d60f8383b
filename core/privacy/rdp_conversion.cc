#include "core/privacy/rdp_conversion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "core/common/error.h"

namespace fedcrm::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Str(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

void CheckCurve(const RdpCurve& curve, const char* where) {
  if (curve.empty()) throw ConfigError(where, "the RDP curve has no orders");
}

// Epsilon at one order; +infinity when this order gives no bound.
double EpsilonAt(double alpha, double rdp, double log_delta, RdpConversion conversion) {
  if (rdp == 0.0) return 0.0;  // identical output distributions
  if (std::isinf(rdp)) return kInf;
  // Both conversions tend to r as alpha grows: pure DP.
  if (std::isinf(alpha)) return rdp;
  if (conversion == RdpConversion::kClassic) return rdp - log_delta / (alpha - 1.0);
  // delta >= sqrt(1 - exp(-KL)) >= total variation distance, and KL <= r.
  if (std::exp(2.0 * log_delta) + std::expm1(-rdp) > 0.0) return 0.0;
  return rdp + std::log1p(-1.0 / alpha) - (log_delta + std::log(alpha)) / (alpha - 1.0);
}

// log(delta) at one order; 0 (delta = 1) when this order gives no bound.
double LogDeltaAt(double alpha, double rdp, double epsilon, RdpConversion conversion) {
  if (rdp == 0.0) return -kInf;
  if (std::isinf(rdp)) return 0.0;
  if (std::isinf(alpha)) return rdp <= epsilon ? -kInf : 0.0;
  if (conversion == RdpConversion::kClassic) return (alpha - 1.0) * (rdp - epsilon);
  const double kl_bound = 0.5 * std::log1p(-std::exp(-rdp));
  const double rdp_bound =
      (alpha - 1.0) * (rdp - epsilon + std::log1p(-1.0 / alpha)) - std::log(alpha);
  return std::min(kl_bound, rdp_bound);
}

}  // namespace

EpsilonAtOrder EpsilonFromRdp(const RdpCurve& curve, double delta, RdpConversion conversion) {
  constexpr const char* kWhere = "RDP to (epsilon, delta) conversion";
  CheckCurve(curve, kWhere);
  if (!(delta > 0.0 && delta < 1.0)) {
    throw ConfigError(kWhere, "delta is " + Str(delta) + "; expected a number in (0, 1)");
  }
  const double log_delta = std::log(delta);
  EpsilonAtOrder best{kInf, kNaN};
  for (size_t i = 0; i < curve.size(); ++i) {
    const double eps = EpsilonAt(curve.orders()[i], curve.values()[i], log_delta, conversion);
    if (eps < best.epsilon) best = {eps, curve.orders()[i]};
  }
  // A negative value is still a valid bound; epsilon = 0 is the strongest.
  best.epsilon = std::max(best.epsilon, 0.0);
  return best;
}

DeltaAtOrder DeltaFromRdp(const RdpCurve& curve, double epsilon, RdpConversion conversion) {
  constexpr const char* kWhere = "RDP to (epsilon, delta) conversion";
  CheckCurve(curve, kWhere);
  if (!(epsilon >= 0.0) || !std::isfinite(epsilon)) {
    throw ConfigError(kWhere, "epsilon is " + Str(epsilon) + "; expected a finite number >= 0");
  }
  double best_log = 0.0;
  double best_order = kNaN;
  for (size_t i = 0; i < curve.size(); ++i) {
    const double log_delta = LogDeltaAt(curve.orders()[i], curve.values()[i], epsilon, conversion);
    if (log_delta < best_log) {
      best_log = log_delta;
      best_order = curve.orders()[i];
    }
  }
  return {std::exp(best_log), best_order};
}

}  // namespace fedcrm::privacy
