// Fixed-point encoding of model updates for secure aggregation.
//
// SecAgg adds vectors in the ring Z_{2^b}, so each silo's update (a vector of
// doubles) is first clipped to [-c, c] and mapped onto the 2^k integer levels
// 0 .. 2^k - 1, rounding stochastically so that the encoding is unbiased:
// E[level * step - c] = x for every x in [-c, c], where step = 2c / (2^k - 1).
// The aggregator adds the masked levels mod 2^b; the masks cancel and what is
// left is the plain integer sum of the levels, which Dequantize() turns back
// into the sum of the (rounded) clipped updates. ValidateQuantization() makes
// sure that sum can never wrap around 2^b, since a wrapped sum is
// indistinguishable from a small one.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace fedcrm::secagg {

struct QuantizationConfig {
  double clip = 1.0;      // c > 0: coordinates are clipped to [-c, c]
  int levels_bits = 16;   // k in [1, 52]: 2^k levels (52 keeps every level exact in a double)
  int modulus_bits = 32;  // b, 32 or 64: arithmetic is mod 2^b
};

// A source of 64 uniformly random bits per call, e.g.
//   [&rng] { return rng.NextU64(); }  for a fedcrm::train::SecureRandom.
// The rounding must come from a cryptographically strong generator in
// production: predictable rounding leaks information about the update.
using RandomBits = std::function<uint64_t()>;

// Throws fedcrm::ConfigError unless the config is well formed (c finite and
// > 0, k in [1, 52], b in {32, 64}) and the sum of up to `max_clients`
// encodings fits below 2^b, i.e. max_clients * (2^k - 1) < 2^b.
void ValidateQuantization(const QuantizationConfig& config, int64_t max_clients);

// 2^k - 1, the largest level.
uint64_t MaxLevel(const QuantizationConfig& config);

// The distance between adjacent levels, 2c / (2^k - 1).
double QuantizationStep(const QuantizationConfig& config);

// The worst-case |Dequantize(sum of n encodings) - sum of the n clipped
// inputs|: each encoding is within one step of its input, so n * step.
double QuantizationErrorBound(const QuantizationConfig& config, int64_t num_clients);

// Clips each value to [-c, c] and encodes it as a level in [0, 2^k - 1] with
// unbiased stochastic rounding, one call of `random` per coordinate. Throws
// fedcrm::ConfigError for an invalid config (see ValidateQuantization with one
// client) and SecAggError for a NaN coordinate (it has no meaningful clip).
std::vector<uint64_t> Quantize(std::span<const double> values, const QuantizationConfig& config,
                               const RandomBits& random);

// The sum of the clipped inputs recovered from `sum`, the coordinate-wise sum
// mod 2^b of `num_clients` encodings (after the masks cancelled). Throws
// fedcrm::ConfigError when the config or num_clients is invalid (including a
// sum that could wrap), and SecAggError when a coordinate exceeds
// num_clients * (2^k - 1): no honest sum can, so the masks did not cancel or
// the client count is wrong.
std::vector<double> Dequantize(std::span<const uint64_t> sum, int64_t num_clients,
                               const QuantizationConfig& config);

// 2^b - 1: the mask that reduces a uint64 mod 2^b. Throws fedcrm::ConfigError
// when b is not 32 or 64.
uint64_t ModulusMask(int modulus_bits);

// accumulator[i] = (accumulator[i] + values[i]) mod 2^b. Throws SecAggError
// when the sizes differ and fedcrm::ConfigError when b is not 32 or 64.
void AddModular(std::span<uint64_t> accumulator, std::span<const uint64_t> values,
                int modulus_bits);

// accumulator[i] = (accumulator[i] - values[i]) mod 2^b. Throws as AddModular.
void SubtractModular(std::span<uint64_t> accumulator, std::span<const uint64_t> values,
                     int modulus_bits);

}  // namespace fedcrm::secagg
