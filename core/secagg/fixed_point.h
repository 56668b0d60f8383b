// Fixed-point encoding of real numbers in Z_{2^64}, for sums that must be
// exact and signed — the federation's feature statistics — rather than
// clipped and stochastically rounded like model updates.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace fedcrm::secagg {

// Enough fraction for statistics of standardized CRM features while leaving
// 2^43 of integer range for a sum of squares over many silos.
inline constexpr int kStatisticsFractionalBits = 20;

// round(value · 2^f) as two's complement mod 2^64. Throws SecAggError naming
// the index if a value is not finite or |value| · 2^f ≥ 2^62 (so that a sum
// of up to 2 such values per bit of headroom cannot wrap).
std::vector<uint64_t> EncodeFixedPoint(std::span<const double> values, int fractional_bits);

// The inverse on a sum: interprets each value as signed and divides by 2^f.
std::vector<double> DecodeFixedPoint(std::span<const uint64_t> sum, int fractional_bits);

}  // namespace fedcrm::secagg
