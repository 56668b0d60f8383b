// AES-256-GCM encryption of Shamir shares sent between silos through the
// server, which must neither read nor undetectably alter or redirect them.
//
// Sealed format: nonce (12 random bytes) || ciphertext || tag (16 bytes).
// The associated data binds the round and both endpoints, so the server
// cannot replay a share into another round or hand it to another silo:
//   "fedcrm share v1" || round_id (8 bytes BE) || sender (4 BE) || receiver (4 BE).
// Random 96-bit nonces are safe here because a key (one per pair of silos
// and round) seals a handful of messages, far below the 2^32 limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/secagg/key_agreement.h"
#include "core/secagg/secret_bytes.h"

namespace fedcrm::secagg {

using ShareKey = Secret32;

// Silos are identified by their index in the round's roster (also their
// Shamir x coordinate).
struct ShareAad {
  uint64_t round_id = 0;
  uint32_t sender = 0;
  uint32_t receiver = 0;
};

inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kTagBytes = 16;
inline constexpr size_t kSealOverhead = kNonceBytes + kTagBytes;

// HKDF-SHA256(shared secret, no salt, info "fedcrm share key"), 32 bytes.
ShareKey DeriveShareKey(const SharedSecret& secret);

// Encrypts and authenticates `plaintext` (any bytes) under `key` and `aad`.
std::string Seal(const ShareKey& key, std::string_view plaintext, const ShareAad& aad);

// Verifies and decrypts the output of Seal. Throws SecAggError if the input
// is truncated, any byte was changed, or `aad` differs from the one sealed
// (other round, swapped or different silos); nothing is returned then.
std::string Open(const ShareKey& key, std::string_view sealed, const ShareAad& aad);

}  // namespace fedcrm::secagg
