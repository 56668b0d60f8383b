#include "core/secagg/protocol_messages.h"

#include <algorithm>

#include "core/secagg/byte_codec.h"

namespace fedcrm::secagg {
namespace {

constexpr size_t kMaxIdBytes = 253;  // a DNS-1123 subdomain: a Kubernetes name
constexpr size_t kMaxCiphertextBytes = 1024;
constexpr size_t kMaxShareBytes = 64;

std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

ByteWriter Start(MessageType type) {
  ByteWriter writer;
  WriteEnvelope(writer, static_cast<uint8_t>(type));
  return writer;
}

ByteReader Open(std::span<const uint8_t> bytes, MessageType type, const char* name) {
  ByteReader reader(bytes, name);
  ReadEnvelope(reader, static_cast<uint8_t>(type));
  return reader;
}

void WriteKey(ByteWriter& w, const PublicKey& key) { w.WriteRaw(key); }

PublicKey ReadKey(ByteReader& r, std::string_view field) {
  PublicKey key{};
  const auto raw = r.ReadRaw(field, key.size());
  std::copy(raw.begin(), raw.end(), key.begin());
  return key;
}

// A count prefix, checked against the limit and against the bytes left
// (each entry takes at least `min_entry_bytes`) before anything is reserved.
uint32_t ReadCount(ByteReader& r, std::string_view field, uint64_t max, size_t min_entry_bytes) {
  const uint32_t count = r.ReadU32(field);
  if (count > max) {
    throw DecodeError(
        r.input_name(), std::string(field), r.offset() - 4,
        "count " + std::to_string(count) + " exceeds the limit " + std::to_string(max));
  }
  if (count * uint64_t{min_entry_bytes} > r.remaining()) {
    throw DecodeError(r.input_name(), std::string(field), r.offset() - 4,
                      "count " + std::to_string(count) + " needs more than the " +
                          std::to_string(r.remaining()) + " bytes left");
  }
  return count;
}

void WriteSealed(ByteWriter& w, const std::vector<SealedShares>& shares) {
  w.WriteU32(static_cast<uint32_t>(shares.size()));
  for (const auto& s : shares) {
    w.WriteString(s.peer);
    w.WriteBytes(AsBytes(s.ciphertext));
  }
}

std::vector<SealedShares> ReadSealed(ByteReader& r, const DecodeLimits& limits) {
  const uint32_t count = ReadCount(r, "shares.count", limits.max_clients, 8);
  std::vector<SealedShares> out(count);
  for (auto& s : out) {
    s.peer = r.ReadString("shares.peer", kMaxIdBytes);
    const auto bytes = r.ReadBytes("shares.ciphertext", kMaxCiphertextBytes);
    s.ciphertext.assign(bytes.begin(), bytes.end());
  }
  return out;
}

void WriteRevealed(ByteWriter& w, const std::vector<RevealedShare>& shares) {
  w.WriteU32(static_cast<uint32_t>(shares.size()));
  for (const auto& s : shares) {
    w.WriteString(s.owner);
    w.WriteBytes(AsBytes(s.share));
  }
}

std::vector<RevealedShare> ReadRevealed(ByteReader& r, std::string_view field,
                                        const DecodeLimits& limits) {
  const uint32_t count = ReadCount(r, field, limits.max_clients, 8);
  std::vector<RevealedShare> out(count);
  for (auto& s : out) {
    s.owner = r.ReadString("share.owner", kMaxIdBytes);
    const auto bytes = r.ReadBytes("share.value", kMaxShareBytes);
    s.share.assign(bytes.begin(), bytes.end());
  }
  return out;
}

}  // namespace

Bytes Encode(const AdvertiseKeys& m) {
  ByteWriter w = Start(MessageType::kAdvertiseKeys);
  WriteKey(w, m.cipher_key);
  WriteKey(w, m.mask_key);
  return std::move(w).Take();
}

AdvertiseKeys DecodeAdvertiseKeys(std::span<const uint8_t> bytes) {
  ByteReader r = Open(bytes, MessageType::kAdvertiseKeys, "advertise-keys message");
  AdvertiseKeys m;
  m.cipher_key = ReadKey(r, "cipher_key");
  m.mask_key = ReadKey(r, "mask_key");
  r.ExpectEnd();
  return m;
}

Bytes Encode(const KeyDirectory& m) {
  ByteWriter w = Start(MessageType::kKeyDirectory);
  w.WriteU32(static_cast<uint32_t>(m.clients.size()));
  for (const auto& c : m.clients) {
    w.WriteString(c.client);
    WriteKey(w, c.keys.cipher_key);
    WriteKey(w, c.keys.mask_key);
  }
  return std::move(w).Take();
}

KeyDirectory DecodeKeyDirectory(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  ByteReader r = Open(bytes, MessageType::kKeyDirectory, "key-directory message");
  KeyDirectory m;
  m.clients.resize(ReadCount(r, "clients.count", limits.max_clients, 68));
  for (auto& c : m.clients) {
    c.client = r.ReadString("client", kMaxIdBytes);
    c.keys.cipher_key = ReadKey(r, "cipher_key");
    c.keys.mask_key = ReadKey(r, "mask_key");
  }
  r.ExpectEnd();
  return m;
}

Bytes Encode(const ShareKeys& m) {
  ByteWriter w = Start(MessageType::kShareKeys);
  WriteSealed(w, m.shares);
  return std::move(w).Take();
}

ShareKeys DecodeShareKeys(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  ByteReader r = Open(bytes, MessageType::kShareKeys, "share-keys message");
  ShareKeys m{ReadSealed(r, limits)};
  r.ExpectEnd();
  return m;
}

Bytes Encode(const ShareInbox& m) {
  ByteWriter w = Start(MessageType::kShareInbox);
  WriteSealed(w, m.shares);
  return std::move(w).Take();
}

ShareInbox DecodeShareInbox(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  ByteReader r = Open(bytes, MessageType::kShareInbox, "share-inbox message");
  ShareInbox m{ReadSealed(r, limits)};
  r.ExpectEnd();
  return m;
}

Bytes Encode(const MaskedInput& m, int modulus_bits) {
  ByteWriter w = Start(MessageType::kMaskedInput);
  w.WriteU8(static_cast<uint8_t>(modulus_bits));
  w.WriteU64Vector(m.values, modulus_bits);
  return std::move(w).Take();
}

MaskedInput DecodeMaskedInput(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  ByteReader r = Open(bytes, MessageType::kMaskedInput, "masked-input message");
  const int bits = r.ReadU8("modulus_bits");
  if (bits != limits.modulus_bits) {
    throw DecodeError(
        r.input_name(), "modulus_bits", r.offset() - 1,
        "expected " + std::to_string(limits.modulus_bits) + ", got " + std::to_string(bits));
  }
  MaskedInput m{r.ReadU64Vector("values", bits, limits.max_vector_length)};
  r.ExpectEnd();
  return m;
}

Bytes Encode(const SurvivorList& m) {
  ByteWriter w = Start(MessageType::kSurvivors);
  w.WriteU32(static_cast<uint32_t>(m.survivors.size()));
  for (const auto& s : m.survivors) w.WriteString(s);
  return std::move(w).Take();
}

SurvivorList DecodeSurvivorList(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  ByteReader r = Open(bytes, MessageType::kSurvivors, "survivor-list message");
  SurvivorList m;
  m.survivors.resize(ReadCount(r, "survivors.count", limits.max_clients, 4));
  for (auto& s : m.survivors) s = r.ReadString("survivor", kMaxIdBytes);
  r.ExpectEnd();
  return m;
}

Bytes Encode(const UnmaskShares& m) {
  ByteWriter w = Start(MessageType::kUnmask);
  WriteRevealed(w, m.self_mask_shares);
  WriteRevealed(w, m.mask_key_shares);
  return std::move(w).Take();
}

UnmaskShares DecodeUnmaskShares(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  ByteReader r = Open(bytes, MessageType::kUnmask, "unmask message");
  UnmaskShares m;
  m.self_mask_shares = ReadRevealed(r, "self_mask_shares.count", limits);
  m.mask_key_shares = ReadRevealed(r, "mask_key_shares.count", limits);
  r.ExpectEnd();
  return m;
}

}  // namespace fedcrm::secagg
