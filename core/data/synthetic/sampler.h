// A seeded random source with the few distributions the synthetic CRM data
// needs.
//
// The distributions are written out here instead of taken from <random>:
// std::normal_distribution and friends are implementation-defined, so the same
// seed would give different files under libstdc++ and libc++. std::mt19937_64
// itself is fully specified, so the files are identical everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <span>
#include <string_view>

namespace fedcrm::data::synthetic {

class Sampler {
 public:
  explicit Sampler(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1).
  double Uniform();
  bool Bernoulli(double p) { return Uniform() < p; }
  // Bernoulli(sigmoid(logit)): how the binary labels are drawn.
  bool BernoulliLogit(double logit);
  double Normal(double mean, double stddev);
  // exp(Normal(log(median), sigma)).
  double LogNormal(double median, double sigma);
  // Shape k > 0, scale theta > 0; mean k * theta.
  double Gamma(double shape, double scale);
  std::int64_t Poisson(double mean);
  // Overdispersed counts (a gamma-Poisson mixture): variance is
  // mean + mean^2 / shape, so a small shape gives a long tail.
  std::int64_t NegativeBinomial(double mean, double shape);
  // An index drawn with probability proportional to `weights`.
  std::size_t Categorical(std::initializer_list<double> weights);
  template <typename Range>
  std::size_t CategoricalOf(const Range& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double target = Uniform() * total;
    std::size_t index = 0;
    std::size_t last_possible = 0;
    for (double w : weights) {
      if (target < w) return index;
      target -= w;
      if (w > 0) last_possible = index;
      ++index;
    }
    // Rounding left target just past the end: never return a zero weight.
    return last_possible;
  }
  // An index drawn with probability softmax(logits): how multiclass labels
  // are drawn.
  std::size_t Softmax(std::span<const double> logits);

 private:
  std::mt19937_64 engine_;
};

// A seed for one (purpose, task, region) stream, so each region's file and
// each stream within it are independent but reproducible from one --seed.
std::uint64_t DeriveSeed(std::uint64_t seed, std::string_view task, std::string_view region,
                         std::string_view stream);

}  // namespace fedcrm::data::synthetic
