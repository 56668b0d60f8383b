#include "core/data/synthetic/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>
#include <vector>

namespace fedcrm::data::synthetic {
namespace {

// Above this mean the Poisson is drawn from its normal approximation: the
// multiplication method costs O(mean) draws and the counts here are small.
constexpr double kPoissonNormalAbove = 40.0;

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t Fnv1a(std::string_view text, std::uint64_t hash) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

double Sampler::Uniform() {
  // The top 53 bits fill a double's mantissa exactly.
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

bool Sampler::BernoulliLogit(double logit) { return Bernoulli(1.0 / (1.0 + std::exp(-logit))); }

double Sampler::Normal(double mean, double stddev) {
  // Box-Muller; 1 - U is in (0, 1], so the log is finite.
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  return mean + stddev * z;
}

double Sampler::LogNormal(double median, double sigma) {
  return median * std::exp(Normal(0.0, sigma));
}

double Sampler::Gamma(double shape, double scale) {
  if (shape < 1.0) {
    // Boost a shape below one: G(k) = G(k + 1) * U^(1/k).
    const double u = 1.0 - Uniform();
    return Gamma(shape + 1.0, scale) * std::pow(u, 1.0 / shape);
  }
  // Marsaglia and Tsang (2000).
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0;
    double v = 0;
    do {
      x = Normal(0.0, 1.0);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = 1.0 - Uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v * scale;
  }
}

std::int64_t Sampler::Poisson(double mean) {
  if (mean <= 0.0) return 0;
  if (mean > kPoissonNormalAbove) {
    const double x = std::round(Normal(mean, std::sqrt(mean)));
    return x < 0 ? 0 : static_cast<std::int64_t>(x);
  }
  const double limit = std::exp(-mean);
  std::int64_t count = 0;
  double product = Uniform();
  while (product > limit) {
    ++count;
    product *= Uniform();
  }
  return count;
}

std::int64_t Sampler::NegativeBinomial(double mean, double shape) {
  if (mean <= 0.0) return 0;
  return Poisson(Gamma(shape, mean / shape));
}

std::size_t Sampler::Categorical(std::initializer_list<double> weights) {
  return CategoricalOf(weights);
}

std::size_t Sampler::Softmax(std::span<const double> logits) {
  assert(!logits.empty());
  const double top = *std::max_element(logits.begin(), logits.end());
  std::vector<double> weights;
  weights.reserve(logits.size());
  for (double logit : logits) weights.push_back(std::exp(logit - top));
  return CategoricalOf(weights);
}

std::uint64_t DeriveSeed(std::uint64_t seed, std::string_view task, std::string_view region,
                         std::string_view stream) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  h = Fnv1a(task, h);
  h = Fnv1a("/", h);
  h = Fnv1a(region, h);
  h = Fnv1a("/", h);
  h = Fnv1a(stream, h);
  return SplitMix64(SplitMix64(seed) ^ h);
}

}  // namespace fedcrm::data::synthetic
