#include "core/privacy/rdp_accountant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>

#include "core/common/error.h"

namespace fedcrm::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Integer orders above this are evaluated by the O(alpha) binomial sum only
// up to here; beyond it the bound falls back to infinity (no guarantee).
constexpr double kMaxIntegerOrder = 1 << 20;

// The fractional series decay only polynomially in their tails when sigma is
// small and q large; past this many terms we use the integer-order bound.
constexpr int kMaxSeriesTerms = 20000;

// A term below exp(-36) ~ 2e-16 of the running total no longer changes it.
constexpr double kNegligibleLogRatio = 36.0;

// The alternating tail may cancel; when the negative part comes within this
// relative distance of the positive part, too few digits survive to trust.
constexpr double kMaxCancellation = 1e-6;

std::string Str(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

// log(exp(a) + exp(b)) without overflow.
double LogAdd(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  const double hi = std::max(a, b);
  return hi + std::log1p(std::exp(std::min(a, b) - hi));
}

// log(exp(a) - exp(b)) for a >= b.
double LogSub(double a, double b) {
  if (b == -kInf) return a;
  if (a <= b) return -kInf;
  return a + std::log1p(-std::exp(b - a));
}

// log(erfc(x)). erfc underflows near x = 26.5; past x = 25 use its
// asymptotic series erfc(x) = exp(-x^2) / (x sqrt(pi)) * sum_n (-1)^n
// (2n-1)!! / (2x^2)^n, whose fifth term is below 1e-12 there.
double LogErfc(double x) {
  if (x < 25.0) return std::log(std::erfc(x));
  const double u = 1.0 / (2.0 * x * x);
  double term = 1.0;
  double sum = 1.0;
  for (int n = 1; n <= 5; ++n) {
    term *= -(2.0 * n - 1.0) * u;
    sum += term;
  }
  return -x * x - std::log(x) - 0.5 * std::log(std::numbers::pi) + std::log(sum);
}

bool IsInteger(double x) { return std::floor(x) == x; }

void CheckRate(double q) {
  if (!(q >= 0.0 && q <= 1.0)) {
    throw ConfigError("sampled Gaussian mechanism: sampling rate q",
                      "got " + Str(q) + "; expected a number in [0, 1]");
  }
}

void CheckSigma(double sigma) {
  if (!(sigma >= 0.0) || !std::isfinite(sigma)) {
    throw ConfigError("sampled Gaussian mechanism: noise multiplier sigma",
                      "got " + Str(sigma) + "; expected a finite number >= 0");
  }
}

// RDP for 0 < q < 1, sigma > 0 and a finite order > 1.
double RdpInterior(double q, double sigma, double alpha) {
  if (IsInteger(alpha) && alpha <= kMaxIntegerOrder) {
    return internal::LogAIntegerOrder(q, sigma, static_cast<int64_t>(alpha)) / (alpha - 1.0);
  }
  if (auto log_a = internal::LogAFractionalOrder(q, sigma, alpha)) {
    return *log_a / (alpha - 1.0);
  }
  // Rényi divergence does not decrease with the order, so the next integer
  // order bounds this one from above: an over-count, never an under-count.
  const double ceiling = std::ceil(alpha);
  if (ceiling > kMaxIntegerOrder) return kInf;
  return internal::LogAIntegerOrder(q, sigma, static_cast<int64_t>(ceiling)) / (ceiling - 1.0);
}

}  // namespace

std::vector<double> DefaultOrders() {
  std::vector<double> orders;
  // Written as 1 + x / 10 so the values are bit-identical to Opacus's and
  // dp_accounting's lists.
  for (int x = 1; x < 100; ++x) orders.push_back(1.0 + x / 10.0);
  for (int a = 11; a < 64; ++a) orders.push_back(a);
  for (double a : {128.0, 256.0, 512.0, 1024.0}) orders.push_back(a);
  return orders;
}

namespace internal {

double LogAIntegerOrder(double q, double sigma, int64_t alpha) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double n = static_cast<double>(alpha);
  double log_binomial = 0.0;  // log C(alpha, i), built up term by term
  double log_a = -kInf;
  for (int64_t k = 0; k <= alpha; ++k) {
    const double i = static_cast<double>(k);
    if (k > 0) log_binomial += std::log(n - i + 1.0) - std::log(i);
    const double log_term =
        log_binomial + i * log_q + (n - i) * log_1mq + (i * i - i) / (2.0 * sigma * sigma);
    log_a = LogAdd(log_a, log_term);
  }
  return log_a;
}

std::optional<double> LogAFractionalOrder(double q, double sigma, double alpha) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double two_var = 2.0 * sigma * sigma;
  const double inv_sqrt2_sigma = 1.0 / (std::sqrt(2.0) * sigma);
  // Where (1 - q) mu0(z) = q mu1(z). Below z0 the mixture ratio is expanded in
  // powers of q mu1 / ((1 - q) mu0) (series 0), above it in the inverse
  // (series 1); each ratio is < 1 on its side, so both series converge.
  const double z0 = sigma * sigma * (log_1mq - log_q) + 0.5;
  const double log_half = std::log(0.5);

  // C(alpha, i) changes sign once i > alpha + 1, so positive and negative
  // terms are summed apart and subtracted at the end.
  double log_binomial = 0.0;
  bool positive = true;
  double log_pos = -kInf;
  double log_neg = -kInf;
  double last0 = kInf;
  double last1 = kInf;
  for (int k = 0; k < kMaxSeriesTerms; ++k) {
    const double i = k;
    if (k > 0) {
      const double factor = alpha - i + 1.0;
      if (factor == 0.0) break;  // integer alpha: every later C(alpha, i) is 0
      log_binomial += std::log(std::fabs(factor)) - std::log(i);
      if (factor < 0.0) positive = !positive;
    }
    const double j = alpha - i;
    const double log_s0 = log_binomial + i * log_q + j * log_1mq + (i * i - i) / two_var +
                          log_half + LogErfc((i - z0) * inv_sqrt2_sigma);
    const double log_s1 = log_binomial + j * log_q + i * log_1mq + (j * j - j) / two_var +
                          log_half + LogErfc((z0 - j) * inv_sqrt2_sigma);
    const double log_term = LogAdd(log_s0, log_s1);
    if (positive) {
      log_pos = LogAdd(log_pos, log_term);
    } else {
      log_neg = LogAdd(log_neg, log_term);
    }
    // In the alternating tail, once the terms shrink the error of stopping is
    // at most the next term.
    const bool tail = i > alpha + 1.0 && log_s0 < last0 && log_s1 < last1;
    if (tail && std::max(log_s0, log_s1) < LogSub(log_pos, log_neg) - kNegligibleLogRatio) {
      break;
    }
    if (k + 1 == kMaxSeriesTerms) return std::nullopt;
    last0 = log_s0;
    last1 = log_s1;
  }
  if (log_neg - log_pos > std::log1p(-kMaxCancellation)) return std::nullopt;
  return LogSub(log_pos, log_neg);
}

}  // namespace internal

double SampledGaussianRdpAtOrder(double q, double sigma, double order) {
  CheckRate(q);
  CheckSigma(sigma);
  if (!(order > 1.0)) {
    throw ConfigError("sampled Gaussian mechanism: RDP order",
                      "got " + Str(order) + "; expected a number > 1 (or infinity)");
  }
  if (q == 0.0) return 0.0;
  if (sigma == 0.0 || std::isinf(order)) return kInf;
  if (q == 1.0) return order / (2.0 * sigma * sigma);
  return RdpInterior(q, sigma, order);
}

RdpCurve SampledGaussianRdp(double q, double sigma, int64_t steps,
                            const std::vector<double>& orders) {
  CheckRate(q);
  CheckSigma(sigma);
  if (steps < 0) {
    throw ConfigError("sampled Gaussian mechanism: steps",
                      "got " + std::to_string(steps) + "; expected an integer >= 0");
  }
  ValidateOrders(orders, "sampled Gaussian mechanism: orders");
  std::vector<double> values;
  values.reserve(orders.size());
  for (double order : orders) values.push_back(SampledGaussianRdpAtOrder(q, sigma, order));
  return RdpCurve(orders, std::move(values)).Repeated(steps);
}

}  // namespace fedcrm::privacy
