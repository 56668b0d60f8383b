// From a Rényi-DP curve to an (epsilon, delta)-DP guarantee.
//
// A mechanism with RDP r at order alpha is (epsilon, delta)-DP for every
// delta, with epsilon depending on the conversion; each order gives a valid
// bound, so the tightest over the curve's orders is reported with the order
// that achieves it.
#pragma once

#include "core/privacy/rdp_curve.h"

namespace fedcrm::privacy {

enum class RdpConversion {
  // Balle, Barthe, Gaboardi, Hsu, Sato 2020, "Hypothesis testing
  // interpretations and Rényi differential privacy", Thm 21 (also Canonne,
  // Kamath, Steinke 2020, Prop 12):
  //   epsilon = r + log((alpha - 1) / alpha) - (log delta + log alpha) / (alpha - 1).
  // Also uses delta <= sqrt(1 - exp(-r)) (r bounds the KL divergence), which
  // matters only for tiny r. What Opacus, dp_accounting and current TF
  // Privacy report, and what fedcrm uses.
  kImproved,
  // Mironov 2017, "Rényi Differential Privacy", Prop 3:
  //   epsilon = r - log(delta) / (alpha - 1).
  // What older TF Privacy releases reported; kept to compare with them.
  kClassic,
};

struct EpsilonAtOrder {
  double epsilon = 0.0;  // >= 0; +infinity when no order gives a bound
  double order = 0.0;    // the order that gives it; NaN when epsilon is infinite
};

struct DeltaAtOrder {
  double delta = 0.0;  // in [0, 1]
  double order = 0.0;  // the order that gives it; NaN when delta is 1
};

// The smallest epsilon over the curve's orders at the given delta in (0, 1).
// Throws fedcrm::ConfigError for an empty curve or a delta outside (0, 1).
EpsilonAtOrder EpsilonFromRdp(const RdpCurve& curve, double delta,
                              RdpConversion conversion = RdpConversion::kImproved);

// The smallest delta over the curve's orders at the given epsilon >= 0.
// Throws fedcrm::ConfigError for an empty curve or a negative or non-finite
// epsilon.
DeltaAtOrder DeltaFromRdp(const RdpCurve& curve, double epsilon,
                          RdpConversion conversion = RdpConversion::kImproved);

}  // namespace fedcrm::privacy
