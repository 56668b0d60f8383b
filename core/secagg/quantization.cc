#include "core/secagg/quantization.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/common/error.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

constexpr char kWhere[] = "secagg quantization";
constexpr int kMaxLevelsBits = 52;

std::string Field(const char* name) { return std::string(kWhere) + ": " + name; }

void ValidateShape(const QuantizationConfig& config) {
  if (!std::isfinite(config.clip) || config.clip <= 0) {
    throw ConfigError(Field("clip"),
                      "got " + std::to_string(config.clip) + ", expected a finite number > 0");
  }
  if (config.modulus_bits != 32 && config.modulus_bits != 64) {
    throw ConfigError(Field("modulus_bits"),
                      "got " + std::to_string(config.modulus_bits) + ", expected 32 or 64");
  }
  if (config.levels_bits < 1 || config.levels_bits > kMaxLevelsBits ||
      config.levels_bits >= config.modulus_bits) {
    throw ConfigError(Field("levels_bits"),
                      "got " + std::to_string(config.levels_bits) + ", expected 1 to " +
                          std::to_string(std::min(kMaxLevelsBits, config.modulus_bits - 1)));
  }
}

// The largest k for which n * (2^k - 1) <= 2^b - 1, or 0 if none.
int LargestSafeLevelsBits(int64_t num_clients, int modulus_bits) {
  const uint64_t modulus_mask = ModulusMask(modulus_bits);
  for (int k = std::min(kMaxLevelsBits, modulus_bits - 1); k >= 1; --k) {
    const uint64_t max_level = (uint64_t{1} << k) - 1;
    if (static_cast<uint64_t>(num_clients) <= modulus_mask / max_level) return k;
  }
  return 0;
}

// Uniform on [0, 1) with 53 bits, so P(u < p) = p up to 2^-53 for any double p.
double UniformUnit(const RandomBits& random) {
  return static_cast<double>(random() >> 11) * 0x1p-53;
}

}  // namespace

uint64_t ModulusMask(int modulus_bits) {
  if (modulus_bits == 64) return std::numeric_limits<uint64_t>::max();
  if (modulus_bits == 32) return std::numeric_limits<uint32_t>::max();
  throw ConfigError(Field("modulus_bits"),
                    "got " + std::to_string(modulus_bits) + ", expected 32 or 64");
}

void ValidateQuantization(const QuantizationConfig& config, int64_t max_clients) {
  ValidateShape(config);
  if (max_clients < 1) {
    throw ConfigError(Field("max_clients"),
                      "got " + std::to_string(max_clients) + ", expected at least 1");
  }
  const uint64_t max_level = MaxLevel(config);
  // n * L >= 2^b  <=>  n * L > 2^b - 1  <=>  n > floor((2^b - 1) / L).
  if (static_cast<uint64_t>(max_clients) > ModulusMask(config.modulus_bits) / max_level) {
    const int safe_bits = LargestSafeLevelsBits(max_clients, config.modulus_bits);
    std::string problem = "max_clients " + std::to_string(max_clients) + " * (2^" +
                          std::to_string(config.levels_bits) + " - 1) >= 2^" +
                          std::to_string(config.modulus_bits) +
                          ": the sum of the encodings would wrap around the modulus; ";
    if (safe_bits > 0) {
      problem += "use levels_bits <= " + std::to_string(safe_bits);
      if (config.modulus_bits == 32) problem += " or modulus_bits 64";
    } else {
      problem += "no levels_bits fits that many clients";
    }
    throw ConfigError(Field("levels_bits"), problem);
  }
}

uint64_t MaxLevel(const QuantizationConfig& config) {
  ValidateShape(config);
  return (uint64_t{1} << config.levels_bits) - 1;
}

double QuantizationStep(const QuantizationConfig& config) {
  return 2 * config.clip / static_cast<double>(MaxLevel(config));
}

double QuantizationErrorBound(const QuantizationConfig& config, int64_t num_clients) {
  ValidateQuantization(config, num_clients);
  return static_cast<double>(num_clients) * QuantizationStep(config);
}

std::vector<uint64_t> Quantize(std::span<const double> values, const QuantizationConfig& config,
                               const RandomBits& random) {
  ValidateQuantization(config, 1);
  const uint64_t max_level = MaxLevel(config);
  const double top = static_cast<double>(max_level);
  const double scale = top / (2 * config.clip);
  std::vector<uint64_t> levels(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double x = values[i];
    if (std::isnan(x)) {
      throw SecAggError(std::string(kWhere) + ": coordinate " + std::to_string(i),
                        "value is NaN, expected a number");
    }
    const double clipped = std::clamp(x, -config.clip, config.clip);
    // Rounding can push y a hair outside [0, top]; clamp keeps the level valid.
    const double y = std::clamp((clipped + config.clip) * scale, 0.0, top);
    const double floor_y = std::floor(y);
    uint64_t level = static_cast<uint64_t>(floor_y);
    // Round up with probability equal to the fractional part: E[level] = y.
    if (level < max_level && UniformUnit(random) < y - floor_y) ++level;
    levels[i] = level;
  }
  return levels;
}

std::vector<double> Dequantize(std::span<const uint64_t> sum, int64_t num_clients,
                               const QuantizationConfig& config) {
  ValidateQuantization(config, num_clients);
  const double step = QuantizationStep(config);
  const uint64_t max_sum = static_cast<uint64_t>(num_clients) * MaxLevel(config);
  // sum * step - n * c = (sum - n * L / 2) * step. Centring in integers first
  // avoids cancelling two large doubles when n * c dwarfs the result.
  const uint64_t half_floor = max_sum / 2;
  const double half_remainder = (max_sum % 2 == 1) ? 0.5 : 0.0;
  std::vector<double> out(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) {
    const uint64_t s = sum[i];
    if (s > max_sum) {
      throw SecAggError(std::string(kWhere) + ": aggregate coordinate " + std::to_string(i),
                        "integer sum " + std::to_string(s) + " exceeds " +
                            std::to_string(num_clients) +
                            " clients * max level = " + std::to_string(max_sum) +
                            "; the masks did not cancel or the client count is wrong");
    }
    const double centred = s >= half_floor ? static_cast<double>(s - half_floor)
                                           : -static_cast<double>(half_floor - s);
    out[i] = (centred - half_remainder) * step;
  }
  return out;
}

void AddModular(std::span<uint64_t> accumulator, std::span<const uint64_t> values,
                int modulus_bits) {
  const uint64_t mask = ModulusMask(modulus_bits);
  if (accumulator.size() != values.size()) {
    throw SecAggError(std::string(kWhere) + ": modular addition",
                      "vector of length " + std::to_string(values.size()) + ", expected length " +
                          std::to_string(accumulator.size()));
  }
  // uint64 arithmetic wraps mod 2^64, so masking reduces mod 2^b exactly.
  for (size_t i = 0; i < values.size(); ++i) {
    accumulator[i] = (accumulator[i] + values[i]) & mask;
  }
}

void SubtractModular(std::span<uint64_t> accumulator, std::span<const uint64_t> values,
                     int modulus_bits) {
  const uint64_t mask = ModulusMask(modulus_bits);
  if (accumulator.size() != values.size()) {
    throw SecAggError(std::string(kWhere) + ": modular subtraction",
                      "vector of length " + std::to_string(values.size()) + ", expected length " +
                          std::to_string(accumulator.size()));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    accumulator[i] = (accumulator[i] - values[i]) & mask;
  }
}

}  // namespace fedcrm::secagg
