// HKDF-SHA256 (RFC 5869), extract-then-expand, through OpenSSL EVP_KDF.
//
// SecAgg turns X25519 shared secrets into mask seeds and encryption keys with
// it; the `info` string separates those uses so one secret never serves two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/secagg/secret_bytes.h"

namespace fedcrm::secagg {

// The most HKDF-SHA256 can produce: 255 blocks of 32 bytes.
inline constexpr size_t kHkdfMaxLength = 255 * 32;

// Fills `out` (1 to kHkdfMaxLength bytes) with HKDF-SHA256(ikm, salt, info).
// An empty salt means the RFC's default, 32 zero bytes. Throws SecAggError on
// an empty `ikm` or an out-of-range length.
void HkdfInto(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
              std::span<const uint8_t> info, std::span<uint8_t> out);

// As HkdfInto, returning `length` bytes. The result is not wiped; use
// HkdfSecret for key material.
std::vector<uint8_t> Hkdf(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                          std::span<const uint8_t> info, size_t length);

// A key or seed of N bytes derived from `ikm` with no salt and label `info`.
template <size_t N>
SecretBytes<N> HkdfSecret(std::span<const uint8_t> ikm, std::string_view info) {
  SecretBytes<N> out;
  HkdfInto(ikm, {}, {reinterpret_cast<const uint8_t*>(info.data()), info.size()},
           out.mutable_bytes());
  return out;
}

}  // namespace fedcrm::secagg
