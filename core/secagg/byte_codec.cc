#include "core/secagg/byte_codec.h"

#include <algorithm>
#include <limits>

#include "core/common/error.h"

namespace fedcrm::secagg {
namespace {

constexpr char kEncodeWhere[] = "secagg wire encoding";

// Bytes per vector element for a modulus of 2^modulus_bits.
size_t ElementWidth(int modulus_bits) {
  if (modulus_bits == 32) return 4;
  if (modulus_bits == 64) return 8;
  throw ConfigError("secagg wire format: modulus_bits",
                    "got " + std::to_string(modulus_bits) + ", expected 32 or 64");
}

}  // namespace

DecodeError::DecodeError(const std::string& input, const std::string& field, size_t offset,
                         const std::string& problem)
    : SecAggError(input + ": field '" + field + "' at offset " + std::to_string(offset), problem),
      field_(field),
      offset_(offset) {}

void ByteWriter::WriteU8(uint8_t value) { bytes_.push_back(value); }

void ByteWriter::WriteU16(uint16_t value) {
  for (int b = 0; b < 2; ++b) bytes_.push_back(static_cast<uint8_t>(value >> (8 * b)));
}

void ByteWriter::WriteU32(uint32_t value) {
  for (int b = 0; b < 4; ++b) bytes_.push_back(static_cast<uint8_t>(value >> (8 * b)));
}

void ByteWriter::WriteU64(uint64_t value) {
  for (int b = 0; b < 8; ++b) bytes_.push_back(static_cast<uint8_t>(value >> (8 * b)));
}

void ByteWriter::WriteRaw(std::span<const uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void ByteWriter::WriteLength(size_t length, const char* what) {
  if (length > std::numeric_limits<uint32_t>::max()) {
    throw SecAggError(kEncodeWhere, std::string(what) + " of length " + std::to_string(length) +
                                        " exceeds the u32 length prefix");
  }
  WriteU32(static_cast<uint32_t>(length));
}

void ByteWriter::WriteBytes(std::span<const uint8_t> bytes) {
  WriteLength(bytes.size(), "byte string");
  WriteRaw(bytes);
}

void ByteWriter::WriteString(std::string_view text) {
  WriteLength(text.size(), "string");
  bytes_.insert(bytes_.end(), text.begin(), text.end());
}

void ByteWriter::WriteU64Vector(std::span<const uint64_t> values, int modulus_bits) {
  const size_t width = ElementWidth(modulus_bits);
  WriteLength(values.size(), "vector");
  bytes_.reserve(bytes_.size() + values.size() * width);
  for (size_t i = 0; i < values.size(); ++i) {
    if (width == 4) {
      if (values[i] > std::numeric_limits<uint32_t>::max()) {
        throw SecAggError(kEncodeWhere, "vector element " + std::to_string(i) + " is " +
                                            std::to_string(values[i]) + ", expected < 2^32");
      }
      WriteU32(static_cast<uint32_t>(values[i]));
    } else {
      WriteU64(values[i]);
    }
  }
}

ByteReader::ByteReader(std::span<const uint8_t> input, std::string input_name)
    : input_(input), input_name_(std::move(input_name)) {}

void ByteReader::Fail(std::string_view field, size_t at, const std::string& problem) const {
  throw DecodeError(input_name_, std::string(field), at, problem);
}

void ByteReader::Require(std::string_view field, size_t size) const {
  if (size > remaining()) {
    Fail(field, offset_,
         "truncated: needs " + std::to_string(size) + " bytes, " + std::to_string(remaining()) +
             " remain");
  }
}

uint64_t ByteReader::ReadLittleEndian(std::string_view field, int width) {
  Require(field, static_cast<size_t>(width));
  uint64_t value = 0;
  for (int b = width - 1; b >= 0; --b) value = (value << 8) | input_[offset_ + b];
  offset_ += static_cast<size_t>(width);
  return value;
}

uint8_t ByteReader::ReadU8(std::string_view field) {
  return static_cast<uint8_t>(ReadLittleEndian(field, 1));
}

uint16_t ByteReader::ReadU16(std::string_view field) {
  return static_cast<uint16_t>(ReadLittleEndian(field, 2));
}

uint32_t ByteReader::ReadU32(std::string_view field) {
  return static_cast<uint32_t>(ReadLittleEndian(field, 4));
}

uint64_t ByteReader::ReadU64(std::string_view field) { return ReadLittleEndian(field, 8); }

std::span<const uint8_t> ByteReader::ReadRaw(std::string_view field, size_t size) {
  Require(field, size);
  const std::span<const uint8_t> out = input_.subspan(offset_, size);
  offset_ += size;
  return out;
}

size_t ByteReader::ReadLength(std::string_view field, size_t max, size_t element_size) {
  const size_t start = offset_;
  const size_t length = ReadU32(field);
  if (length > max) {
    Fail(field, start,
         "declared length " + std::to_string(length) + " exceeds the maximum " +
             std::to_string(max));
  }
  // length < 2^32 and element_size <= 8, so the product cannot overflow.
  if (length * element_size > remaining()) {
    Fail(field, start,
         "truncated: declares " + std::to_string(length) + " elements of " +
             std::to_string(element_size) + " bytes, " + std::to_string(remaining()) +
             " bytes remain");
  }
  return length;
}

std::vector<uint8_t> ByteReader::ReadBytes(std::string_view field, size_t max_size) {
  const size_t length = ReadLength(field, max_size, 1);
  const std::span<const uint8_t> bytes = ReadRaw(field, length);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::string ByteReader::ReadString(std::string_view field, size_t max_size) {
  const size_t length = ReadLength(field, max_size, 1);
  const std::span<const uint8_t> bytes = ReadRaw(field, length);
  return std::string(bytes.begin(), bytes.end());
}

std::vector<uint64_t> ByteReader::ReadU64Vector(std::string_view field, int modulus_bits,
                                                size_t max_count) {
  const size_t width = ElementWidth(modulus_bits);
  const size_t count = ReadLength(field, max_count, width);
  std::vector<uint64_t> values(count);
  for (uint64_t& value : values) value = ReadLittleEndian(field, static_cast<int>(width));
  return values;
}

void ByteReader::ExpectEnd() const {
  if (remaining() != 0) {
    Fail("end of message", offset_,
         std::to_string(remaining()) + " trailing bytes after the last field");
  }
}

void WriteEnvelope(ByteWriter& writer, uint8_t message_type) {
  writer.WriteRaw(kEnvelopeMagic);
  writer.WriteU8(kWireVersion);
  writer.WriteU8(message_type);
}

uint8_t ReadAnyEnvelope(ByteReader& reader) {
  const std::span<const uint8_t> magic = reader.ReadRaw("magic", kEnvelopeMagic.size());
  if (!std::equal(magic.begin(), magic.end(), kEnvelopeMagic.begin())) {
    throw DecodeError(reader.input_name(), "magic", reader.offset() - magic.size(),
                      "expected the bytes 'FCSA': not a fedcrm SecAgg message");
  }
  const uint8_t version = reader.ReadU8("version");
  if (version != kWireVersion) {
    throw DecodeError(reader.input_name(), "version", reader.offset() - 1,
                      "wire version " + std::to_string(version) + " is not supported, expected " +
                          std::to_string(kWireVersion));
  }
  return reader.ReadU8("message type");
}

void ReadEnvelope(ByteReader& reader, uint8_t expected_type) {
  const uint8_t type = ReadAnyEnvelope(reader);
  if (type != expected_type) {
    throw DecodeError(
        reader.input_name(), "message type", reader.offset() - 1,
        "got type " + std::to_string(type) + ", expected " + std::to_string(expected_type));
  }
}

}  // namespace fedcrm::secagg
