// X25519 Diffie-Hellman (RFC 7748) between silos, through OpenSSL EVP.
//
// In SecAgg each silo holds two key pairs per round: one whose shared secrets
// seed the pairwise masks and one whose shared secrets key the encryption of
// Shamir shares. The private key of the first is itself Shamir-shared so that
// the server can cancel a dropped silo's masks, hence KeyPair exposes it.
#pragma once

#include <array>
#include <cstdint>

#include "core/secagg/secret_bytes.h"

namespace fedcrm::secagg {

using PublicKey = std::array<uint8_t, 32>;
using SharedSecret = Secret32;

class KeyPair {
 public:
  // A fresh key pair from the OS-seeded CSPRNG.
  static KeyPair Generate();
  // The key pair of a given private key (RFC 7748 clamps it, so any 32 bytes
  // are valid). Used to rebuild a dropped silo's key from its shares, and by
  // tests with fixed vectors.
  static KeyPair FromPrivateKey(const Secret32& private_key);

  const PublicKey& public_key() const { return public_key_; }
  // Only for Shamir-sharing the key; never log or send it in the clear.
  const Secret32& private_key() const { return private_key_; }

 private:
  KeyPair(const Secret32& private_key, const PublicKey& public_key)
      : private_key_(private_key), public_key_(public_key) {}

  Secret32 private_key_;  // wiped on destruction by SecretBytes
  PublicKey public_key_;
};

// X25519(mine.private, theirs). Throws SecAggError when `theirs` is a
// low-order point (the shared secret would be all zero, RFC 7748 section 6.1),
// so a malicious peer cannot force a known mask seed or encryption key.
SharedSecret Agree(const KeyPair& mine, const PublicKey& theirs);

}  // namespace fedcrm::secagg
