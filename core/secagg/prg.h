// The mask PRG of secure aggregation: expands a 32-byte seed into a vector
// over Z_{2^bits}, the additive masks that hide a silo's quantized update.
//
// Construction: AES-256 in counter mode (NIST SP 800-38A) keyed with the
// seed itself, the 128-bit big-endian counter block starting at zero; the
// keystream is read as little-endian words, 4-byte words for bits <= 32 and
// 8-byte words above, each reduced mod 2^bits by dropping high bits (uniform
// because 2^bits divides the word range). AES-256 takes the full 256-bit seed
// as its key, so no key derivation is needed, and a fixed initial counter is
// safe because every seed keys exactly one stream: pairwise seeds are fresh
// per round and pair, self-mask seeds are drawn fresh. AES-CTR rather than
// ChaCha20 because with AES-NI it is the faster stream here (8.2 vs 5.3 GB/s
// by `openssl speed`), and mask expansion is what SecAgg spends its time on.
// The keystream is produced in large blocks, never per element.
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

// The longest mask one seed may produce (2^35 words of 8 bytes, 256 GiB):
// far beyond any model, and far inside AES-CTR's 2^128-block counter.
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

// One mask in a sum of masks: +PRG(seed), or -PRG(seed) when `subtract`.
struct SignedSeed {
  Seed seed;
  bool subtract = false;
};

// values[i] = (values[i] + sum over `masks` of +/-mask[i]) mod 2^bits. Walks
// `values` once, chunk by chunk, drawing every mask's keystream for the chunk
// while it is in cache: a client applies one mask per neighbour and the
// server removes one per client, so one pass per mask would be bound by
// memory traffic instead of by the cipher.
void ApplyMasks(std::span<uint64_t> values, std::span<const SignedSeed> masks, int bits);

}  // namespace fedcrm::secagg
