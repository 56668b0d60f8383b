// The binary wire format of SecAgg protocol messages.
//
// Masked vectors are large (one integer per model parameter), so protocol
// messages travel as application/octet-stream rather than JSON. Integers are
// little-endian; byte strings, strings and vectors carry a u32 length prefix;
// vector elements take 4 bytes when the modulus is 2^32 and 8 when it is 2^64.
// Every message starts with an envelope: the magic "FCSA", the wire version
// (u8) and the message type (u8).
//
// The input of a ByteReader comes from the network, so every read is bounds
// checked and every length prefix is checked against both the bytes that
// remain and a caller-given maximum before anything is allocated. Failures
// throw DecodeError naming the field and its offset.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {

// Malformed input: truncated, oversized, out of range, or trailing bytes.
class DecodeError : public SecAggError {
 public:
  // `input` names the message (e.g. "masked input from silo eu-1"), `field`
  // the field being read, `offset` the byte offset at which it starts.
  DecodeError(const std::string& input, const std::string& field, size_t offset,
              const std::string& problem);

  const std::string& field() const { return field_; }
  size_t offset() const { return offset_; }

 private:
  std::string field_;
  size_t offset_;
};

inline constexpr std::array<uint8_t, 4> kEnvelopeMagic = {'F', 'C', 'S', 'A'};
inline constexpr uint8_t kWireVersion = 1;
inline constexpr std::string_view kWireContentType = "application/octet-stream";

class ByteWriter {
 public:
  void WriteU8(uint8_t value);
  void WriteU16(uint16_t value);
  void WriteU32(uint32_t value);
  void WriteU64(uint64_t value);
  // Bytes as they are, without a length prefix (fixed-size fields: keys, nonces).
  void WriteRaw(std::span<const uint8_t> bytes);
  // u32 length, then the bytes. Throws SecAggError past 2^32 - 1 bytes.
  void WriteBytes(std::span<const uint8_t> bytes);
  void WriteString(std::string_view text);
  // u32 element count, then each element in 4 bytes (modulus_bits 32) or 8
  // (modulus_bits 64). Throws SecAggError for an element >= 2^modulus_bits,
  // and fedcrm::ConfigError when modulus_bits is not 32 or 64.
  void WriteU64Vector(std::span<const uint64_t> values, int modulus_bits);

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> Take() && { return std::move(bytes_); }

 private:
  void WriteLength(size_t length, const char* what);

  std::vector<uint8_t> bytes_;
};

// Reads from `input`, which must outlive the reader. Every read names the
// field it reads, for the error message.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> input, std::string input_name = "secagg message");

  uint8_t ReadU8(std::string_view field);
  uint16_t ReadU16(std::string_view field);
  uint32_t ReadU32(std::string_view field);
  uint64_t ReadU64(std::string_view field);
  // Exactly `size` bytes, no length prefix; a view into the input.
  std::span<const uint8_t> ReadRaw(std::string_view field, size_t size);
  // A length-prefixed byte string of at most `max_size` bytes.
  std::vector<uint8_t> ReadBytes(std::string_view field, size_t max_size);
  std::string ReadString(std::string_view field, size_t max_size);
  // A vector written by WriteU64Vector with the same modulus_bits, of at most
  // `max_count` elements. Throws fedcrm::ConfigError when modulus_bits is not
  // 32 or 64.
  std::vector<uint64_t> ReadU64Vector(std::string_view field, int modulus_bits, size_t max_count);

  // Throws DecodeError unless the whole input has been read.
  void ExpectEnd() const;

  size_t offset() const { return offset_; }
  size_t remaining() const { return input_.size() - offset_; }
  const std::string& input_name() const { return input_name_; }

 private:
  // Throws unless `size` bytes remain for `field`.
  void Require(std::string_view field, size_t size) const;
  uint64_t ReadLittleEndian(std::string_view field, int width);
  // Reads a u32 length prefix and checks it against `max` and against the
  // bytes left at `element_size` bytes per element, before any allocation.
  size_t ReadLength(std::string_view field, size_t max, size_t element_size);
  [[noreturn]] void Fail(std::string_view field, size_t at, const std::string& problem) const;

  std::span<const uint8_t> input_;
  std::string input_name_;
  size_t offset_ = 0;
};

// Starts a message: magic, wire version, type.
void WriteEnvelope(ByteWriter& writer, uint8_t message_type);

// Reads and checks the magic and the wire version; returns the message type,
// for a receiver that accepts several.
uint8_t ReadAnyEnvelope(ByteReader& reader);

// As ReadAnyEnvelope, and throws DecodeError unless the type is `expected_type`.
void ReadEnvelope(ByteReader& reader, uint8_t expected_type);

}  // namespace fedcrm::secagg
