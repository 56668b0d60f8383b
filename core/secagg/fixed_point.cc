#include "core/secagg/fixed_point.h"

#include <cmath>
#include <string>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {

std::vector<uint64_t> EncodeFixedPoint(std::span<const double> values, int fractional_bits) {
  const double scale = std::ldexp(1.0, fractional_bits);
  const double limit = std::ldexp(1.0, 62);
  std::vector<uint64_t> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double scaled = std::round(values[i] * scale);
    if (!std::isfinite(scaled) || std::abs(scaled) >= limit) {
      throw SecAggError("fixed-point value " + std::to_string(i),
                        "not representable: " + std::to_string(values[i]));
    }
    out.push_back(static_cast<uint64_t>(static_cast<int64_t>(scaled)));
  }
  return out;
}

std::vector<double> DecodeFixedPoint(std::span<const uint64_t> sum, int fractional_bits) {
  std::vector<double> out;
  out.reserve(sum.size());
  for (uint64_t v : sum) {
    out.push_back(std::ldexp(static_cast<double>(static_cast<int64_t>(v)), -fractional_bits));
  }
  return out;
}

}  // namespace fedcrm::secagg
