// Shamir t-of-n secret sharing of 32-byte secrets (SecAgg shares each silo's
// self-mask seed and mask private key this way, so the server can finish a
// round when silos drop out, but only with t of them cooperating).
//
// Field: integers mod p = 2^256 + 297, the smallest prime above 2^256, so
// every 32-byte secret (read big-endian) is a field element. A secret is the
// constant term of a polynomial of degree t-1 whose other coefficients are
// uniform in the field (OpenSSL's CSPRNG); share i is (i, f(i)) for i = 1..n.
// Any t-1 shares are uniformly distributed whatever the secret.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/secagg/secret_bytes.h"

namespace fedcrm::secagg {

// p in hexadecimal (big-endian), for tests and documentation.
inline constexpr std::string_view kShamirPrimeHex =
    "10000000000000000000000000000000000000000000000000000000000000129";

// Field elements are below p < 2^257: 33 bytes big-endian.
inline constexpr size_t kShareValueBytes = 33;
// Serialized share: x (4 bytes big-endian) || y (33 bytes big-endian).
inline constexpr size_t kSerializedShareBytes = 4 + kShareValueBytes;

struct Share {
  uint32_t x = 0;                   // 1..n
  SecretBytes<kShareValueBytes> y;  // f(x) mod p, big-endian
};

// Splits `secret` into `num_shares` shares with x = 1..num_shares, any
// `threshold` of which reconstruct it. Throws SecAggError unless
// 1 <= threshold <= num_shares.
std::vector<Share> Split(const Secret32& secret, int threshold, int num_shares);

// Reconstructs the secret from at least `threshold` shares by Lagrange
// interpolation at 0 over the first `threshold`; any further shares must lie
// on the same polynomial. Throws SecAggError on threshold < 1, fewer than
// `threshold` shares, a share with x = 0 or y >= p, two shares with the same
// x, extra shares inconsistent with the first ones, or a result that is not
// a 32-byte secret (a sign of corrupted shares).
Secret32 Combine(std::span<const Share> shares, int threshold);

// The fixed-size binary encoding above (kSerializedShareBytes bytes). The
// string holds secret material; callers should encrypt it, not log it.
std::string Serialize(const Share& share);

// Inverse of Serialize. Throws SecAggError on a wrong length, x = 0 or
// y >= p.
Share Parse(std::string_view bytes);

}  // namespace fedcrm::secagg
