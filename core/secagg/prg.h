// The mask PRG of secure aggregation: expands a 32-byte seed into a vector
// over Z_{2^bits}, the additive masks that hide a silo's quantized update.
//
// Construction: ChaCha20 (RFC 8439) keyed with the seed itself, nonce zero,
// block counter from zero; the keystream is read as little-endian words,
// 4-byte words for bits <= 32 and 8-byte words above, each reduced mod 2^bits
// by dropping high bits (uniform because 2^bits divides the word range).
// ChaCha20 takes the full 256-bit seed as its key, so no key derivation is
// needed, and a fixed nonce is safe because every seed keys exactly one
// stream: pairwise seeds are fresh per round and pair, self-mask seeds are
// drawn fresh. The keystream is produced in large blocks, never per element.
// The output is a fixed function of (seed, length, bits) on every platform,
// and a prefix of a longer mask equals the shorter mask.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/secagg/secret_bytes.h"

namespace fedcrm::secagg {

using Seed = Secret32;

// The longest mask one seed may produce: ChaCha20's 32-bit block counter
// covers 2^32 blocks of 64 bytes, i.e. 2^35 words of 8 bytes.
inline constexpr uint64_t kMaxMaskLength = uint64_t{1} << 35;

// `length` values, each < 2^bits, for bits in 1..64 (SecAgg uses 32 or 64).
// Throws SecAggError on invalid bits or a length above kMaxMaskLength.
std::vector<uint64_t> ExpandMask(const Seed& seed, size_t length, int bits);

// values[i] = (values[i] +/- mask[i]) mod 2^bits. The spans must have the same
// length (throws SecAggError otherwise). Inputs need not be reduced.
void AddMask(std::span<uint64_t> values, std::span<const uint64_t> mask, int bits);
void SubtractMask(std::span<uint64_t> values, std::span<const uint64_t> mask, int bits);

// As above with mask = ExpandMask(seed, values.size(), bits), streamed in
// blocks so the mask is never held whole: the client applies one mask per
// neighbour to a vector of ~10^6 coordinates.
void AddMask(std::span<uint64_t> values, const Seed& seed, int bits);
void SubtractMask(std::span<uint64_t> values, const Seed& seed, int bits);

}  // namespace fedcrm::secagg
