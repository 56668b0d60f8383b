// Rényi-DP accounting for the Poisson-subsampled Gaussian mechanism, the
// mechanism of one DP-SGD step (Mironov, Talwar, Zhang 2019, "Rényi
// Differential Privacy of the Sampled Gaussian Mechanism").
//
// One step samples each record independently with probability q and adds
// N(0, sigma^2) noise to a sum of contributions of L2 norm <= 1. Its RDP at
// order alpha is log(A_alpha) / (alpha - 1) with
//   A_alpha = E_{z ~ mu0} [ ((1 - q) + q mu1(z) / mu0(z))^alpha ],
//   mu0 = N(0, sigma^2), mu1 = N(1, sigma^2).
// Integer orders use the binomial expansion of A_alpha (a finite sum);
// fractional orders the paper's two convergent series (Section 3.3). Both run
// in log space so that large orders and small sigma do not overflow.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/privacy/rdp_curve.h"

namespace fedcrm::privacy {

// 1.1, 1.2, ..., 10.9, then 11, 12, ..., 63, then 128, 256, 512, 1024: the
// orders Opacus and dp_accounting use, so results compare one to one.
std::vector<double> DefaultOrders();

// RDP of ONE step at `order` for sampling rate q in [0, 1] and noise
// multiplier sigma >= 0 (noise stddev over L2 sensitivity). q = 0 gives 0;
// sigma = 0 or an infinite order gives +infinity (when q > 0); q = 1 gives the
// plain Gaussian alpha / (2 sigma^2). Throws fedcrm::ConfigError on invalid
// arguments.
double SampledGaussianRdpAtOrder(double q, double sigma, double order);

// The RDP curve of `steps` steps of the sampled Gaussian mechanism, composed.
// Throws fedcrm::ConfigError on invalid arguments (q outside [0, 1], sigma
// negative or not finite, steps < 0, an order <= 1).
RdpCurve SampledGaussianRdp(double q, double sigma, int64_t steps,
                            const std::vector<double>& orders = DefaultOrders());

// The two evaluation paths, exposed so tests can check them against each
// other. Both require 0 < q < 1 and sigma > 0.
namespace internal {

// log(A_alpha) by the binomial expansion; exact for integer alpha >= 2.
double LogAIntegerOrder(double q, double sigma, int64_t alpha);

// log(A_alpha) by the two-series expansion, valid for any real alpha > 1
// (for an integer alpha the series terminate). Empty when the series did not
// converge within its term limit or cancelled too much to be trusted; the
// caller then falls back to a bound.
std::optional<double> LogAFractionalOrder(double q, double sigma, double alpha);

}  // namespace internal
}  // namespace fedcrm::privacy
