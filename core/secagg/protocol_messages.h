// The messages of one SecAgg+ round and their binary wire format.
//
// Every message travels as application/octet-stream inside the codec's
// envelope ("FCSA", version, type). Decoding never trusts a length: each is
// checked against the remaining bytes and against DecodeLimits before any
// allocation, and a malformed message throws DecodeError naming the field.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/secagg/key_agreement.h"

namespace fedcrm::secagg {

enum class MessageType : uint8_t {
  kAdvertiseKeys = 1,  // client -> server, phase 1
  kKeyDirectory = 2,   // server -> client
  kShareKeys = 3,      // client -> server, phase 2
  kShareInbox = 4,     // server -> client
  kMaskedInput = 5,    // client -> server, phase 3
  kSurvivors = 6,      // server -> client
  kUnmask = 7,         // client -> server, phase 4
};

// Phase 1: a client's two X25519 public keys, one to agree share-encryption
// keys, one to agree pairwise masks.
struct AdvertiseKeys {
  PublicKey cipher_key{};
  PublicKey mask_key{};
  bool operator==(const AdvertiseKeys&) const = default;
};

struct ClientKeys {
  std::string client;
  AdvertiseKeys keys;
  bool operator==(const ClientKeys&) const = default;
};

// The keys of the clients that advertised, as the server relays them.
struct KeyDirectory {
  std::vector<ClientKeys> clients;
  bool operator==(const KeyDirectory&) const = default;
};

// An AES-GCM sealed pair of Shamir shares; `peer` is the recipient in
// ShareKeys and the sender in ShareInbox.
struct SealedShares {
  std::string peer;
  std::string ciphertext;
  bool operator==(const SealedShares&) const = default;
};

struct ShareKeys {  // phase 2, client -> server
  std::vector<SealedShares> shares;
  bool operator==(const ShareKeys&) const = default;
};

struct ShareInbox {  // server -> client
  std::vector<SealedShares> shares;
  bool operator==(const ShareInbox&) const = default;
};

struct MaskedInput {  // phase 3: the masked vector over Z_{2^b}
  std::vector<uint64_t> values;
  bool operator==(const MaskedInput&) const = default;
};

struct SurvivorList {  // server -> client: who sent a masked input
  std::vector<std::string> survivors;
  bool operator==(const SurvivorList&) const = default;
};

// One share of `owner`'s secret (a serialized shamir::Share).
struct RevealedShare {
  std::string owner;
  std::string share;
  bool operator==(const RevealedShare&) const = default;
};

// Phase 4: shares of the survivors' self-mask seeds and of the dropped
// clients' mask keys — never both for the same owner.
struct UnmaskShares {
  std::vector<RevealedShare> self_mask_shares;
  std::vector<RevealedShare> mask_key_shares;
  bool operator==(const UnmaskShares&) const = default;
};

// Bounds a decoder enforces before allocating.
struct DecodeLimits {
  uint64_t max_clients = 1 << 16;
  uint64_t max_vector_length = uint64_t{1} << 28;
  int modulus_bits = 64;  // masked vectors are packed in 4 or 8 bytes per value
};

using Bytes = std::vector<uint8_t>;

Bytes Encode(const AdvertiseKeys& message);
Bytes Encode(const KeyDirectory& message);
Bytes Encode(const ShareKeys& message);
Bytes Encode(const ShareInbox& message);
Bytes Encode(const MaskedInput& message, int modulus_bits);
Bytes Encode(const SurvivorList& message);
Bytes Encode(const UnmaskShares& message);

AdvertiseKeys DecodeAdvertiseKeys(std::span<const uint8_t> bytes);
KeyDirectory DecodeKeyDirectory(std::span<const uint8_t> bytes, const DecodeLimits& limits);
ShareKeys DecodeShareKeys(std::span<const uint8_t> bytes, const DecodeLimits& limits);
ShareInbox DecodeShareInbox(std::span<const uint8_t> bytes, const DecodeLimits& limits);
MaskedInput DecodeMaskedInput(std::span<const uint8_t> bytes, const DecodeLimits& limits);
SurvivorList DecodeSurvivorList(std::span<const uint8_t> bytes, const DecodeLimits& limits);
UnmaskShares DecodeUnmaskShares(std::span<const uint8_t> bytes, const DecodeLimits& limits);

}  // namespace fedcrm::secagg
