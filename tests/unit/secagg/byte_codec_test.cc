#include "core/secagg/byte_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "core/common/error.h"

// Records the largest single allocation, so tests can prove that an oversized
// length prefix is refused before anything is allocated for it.
namespace {
thread_local size_t largest_allocation = 0;
}  // namespace

// GCC 12 sees free() of operator new's result once these are inlined and
// warns falsely; both halves of the pair are replaced here, so they match.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t size) {
  largest_allocation = std::max(largest_allocation, size);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace fedcrm::secagg {
namespace {

constexpr uint8_t kType = 7;

struct Decoded {
  uint8_t flag = 0;
  uint16_t port = 0;
  uint32_t count = 0;
  uint64_t round = 0;
  std::vector<uint8_t> key;
  std::vector<uint8_t> blob;
  std::string name;
  std::vector<uint64_t> narrow;
  std::vector<uint64_t> wide;
};

std::vector<uint8_t> EncodeSample() {
  ByteWriter writer;
  WriteEnvelope(writer, kType);
  writer.WriteU8(0xAB);
  writer.WriteU16(0xBEEF);
  writer.WriteU32(0x01020304);
  writer.WriteU64(0x1122334455667788);
  const std::vector<uint8_t> key(32, 0x5A);
  writer.WriteRaw(key);
  writer.WriteBytes(std::vector<uint8_t>{1, 2, 3});
  writer.WriteString("silo eu-1");
  writer.WriteU64Vector(std::vector<uint64_t>{0, 1, 0xFFFFFFFF}, 32);
  writer.WriteU64Vector(std::vector<uint64_t>{std::numeric_limits<uint64_t>::max(), 42}, 64);
  return std::move(writer).Take();
}

Decoded DecodeSample(std::span<const uint8_t> input) {
  ByteReader reader(input, "sample message");
  ReadEnvelope(reader, kType);
  Decoded out;
  out.flag = reader.ReadU8("flag");
  out.port = reader.ReadU16("port");
  out.count = reader.ReadU32("count");
  out.round = reader.ReadU64("round");
  const std::span<const uint8_t> key = reader.ReadRaw("key", 32);
  out.key.assign(key.begin(), key.end());
  out.blob = reader.ReadBytes("blob", 16);
  out.name = reader.ReadString("name", 64);
  out.narrow = reader.ReadU64Vector("narrow", 32, 8);
  out.wide = reader.ReadU64Vector("wide", 64, 8);
  reader.ExpectEnd();
  return out;
}

TEST(ByteCodecTest, RoundTripsEveryFieldType) {
  const std::vector<uint8_t> bytes = EncodeSample();
  const Decoded d = DecodeSample(bytes);
  EXPECT_EQ(d.flag, 0xAB);
  EXPECT_EQ(d.port, 0xBEEF);
  EXPECT_EQ(d.count, 0x01020304u);
  EXPECT_EQ(d.round, 0x1122334455667788u);
  EXPECT_EQ(d.key, std::vector<uint8_t>(32, 0x5A));
  EXPECT_EQ(d.blob, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(d.name, "silo eu-1");
  EXPECT_EQ(d.narrow, (std::vector<uint64_t>{0, 1, 0xFFFFFFFF}));
  EXPECT_EQ(d.wide, (std::vector<uint64_t>{std::numeric_limits<uint64_t>::max(), 42}));
}

TEST(ByteCodecTest, LayoutIsLittleEndianWithU32Prefixes) {
  ByteWriter writer;
  WriteEnvelope(writer, 3);
  writer.WriteU32(0x01020304);
  writer.WriteU64Vector(std::vector<uint64_t>{0x0A0B}, 32);
  writer.WriteU64Vector(std::vector<uint64_t>{0x0A0B}, 64);
  writer.WriteString("hi");
  // clang-format off
  const std::vector<uint8_t> expected = {
      'F', 'C', 'S', 'A', 1, 3,                   // envelope
      4, 3, 2, 1,                                 // u32
      1, 0, 0, 0, 0x0B, 0x0A, 0, 0,               // one 4-byte element
      1, 0, 0, 0, 0x0B, 0x0A, 0, 0, 0, 0, 0, 0,   // one 8-byte element
      2, 0, 0, 0, 'h', 'i'};                      // string
  // clang-format on
  EXPECT_EQ(writer.bytes(), expected);
}

TEST(ByteCodecTest, TruncationAtEveryOffsetThrowsDecodeError) {
  const std::vector<uint8_t> bytes = EncodeSample();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::span<const uint8_t> prefix(bytes.data(), cut);
    try {
      DecodeSample(prefix);
      ADD_FAILURE() << "decoded a message truncated to " << cut << " bytes";
    } catch (const DecodeError& e) {
      EXPECT_LE(e.offset(), cut) << e.what();
      EXPECT_NE(std::string(e.what()).find("sample message"), std::string::npos) << e.what();
    }
  }
}

TEST(ByteCodecTest, ErrorsNameTheFieldAndOffset) {
  ByteWriter writer;
  writer.WriteU32(5);
  writer.WriteU16(1);
  ByteReader reader(writer.bytes(), "masked input from silo eu-1");
  reader.ReadU32("dimension");
  try {
    reader.ReadU64("round");
    FAIL() << "expected DecodeError";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.field(), "round");
    EXPECT_EQ(e.offset(), 4u);
    const std::string message = e.what();
    EXPECT_NE(message.find("masked input from silo eu-1"), std::string::npos) << message;
    EXPECT_NE(message.find("field 'round' at offset 4"), std::string::npos) << message;
    EXPECT_NE(message.find("needs 8 bytes, 2 remain"), std::string::npos) << message;
  }
}

TEST(ByteCodecTest, OversizedLengthPrefixesAreRefusedBeforeAllocating) {
  ByteWriter writer;
  writer.WriteU32(0xFFFFFFFF);  // claims 4 GiB elements
  writer.WriteU64(0);
  const std::vector<uint8_t> bytes = writer.bytes();

  largest_allocation = 0;
  {
    ByteReader reader(bytes);
    EXPECT_THROW(reader.ReadU64Vector("masked vector", 64, std::numeric_limits<size_t>::max()),
                 DecodeError);
  }
  {
    ByteReader reader(bytes);
    try {
      reader.ReadBytes("ciphertext", 1 << 20);
      FAIL() << "expected DecodeError";
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.offset(), 0u);
      EXPECT_NE(std::string(e.what()).find("exceeds the maximum 1048576"), std::string::npos)
          << e.what();
    }
  }
  {
    ByteReader reader(bytes);
    EXPECT_THROW(reader.ReadString("name", std::numeric_limits<size_t>::max()), DecodeError);
  }
  // Only the error messages were allocated, nothing near the claimed sizes.
  EXPECT_LT(largest_allocation, 4096u);

  // Within the remaining bytes but over the caller's maximum.
  ByteWriter small;
  small.WriteU64Vector(std::vector<uint64_t>(5, 1), 32);
  ByteReader reader(small.bytes());
  EXPECT_THROW(reader.ReadU64Vector("masked vector", 32, 4), DecodeError);
}

TEST(ByteCodecTest, TrailingBytesAreRefused) {
  std::vector<uint8_t> bytes = EncodeSample();
  bytes.push_back(0);
  try {
    DecodeSample(bytes);
    FAIL() << "expected DecodeError";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.offset(), bytes.size() - 1);
    EXPECT_NE(std::string(e.what()).find("1 trailing bytes"), std::string::npos) << e.what();
  }
}

TEST(ByteCodecTest, EnvelopeChecksMagicVersionAndType) {
  ByteWriter writer;
  WriteEnvelope(writer, 9);
  const std::vector<uint8_t> good = writer.bytes();
  {
    ByteReader reader(good);
    EXPECT_EQ(ReadAnyEnvelope(reader), 9);
    reader.ExpectEnd();
  }
  const auto field_of_failure = [](std::vector<uint8_t> bytes, uint8_t expected_type) {
    ByteReader reader(bytes);
    try {
      ReadEnvelope(reader, expected_type);
    } catch (const DecodeError& e) {
      return e.field();
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of_failure(good, 9), "no error");
  EXPECT_EQ(field_of_failure(good, 8), "message type");
  std::vector<uint8_t> bad_magic = good;
  bad_magic[0] = 'G';
  EXPECT_EQ(field_of_failure(bad_magic, 9), "magic");
  std::vector<uint8_t> bad_version = good;
  bad_version[4] = kWireVersion + 1;
  EXPECT_EQ(field_of_failure(bad_version, 9), "version");
  EXPECT_EQ(field_of_failure({'{', '"', 'a', '"', ':', '1', '}'}, 9), "magic");
  EXPECT_EQ(field_of_failure({}, 9), "magic");
}

TEST(ByteCodecTest, WriterRefusesValuesOutsideTheModulus) {
  ByteWriter writer;
  EXPECT_THROW(writer.WriteU64Vector(std::vector<uint64_t>{1, uint64_t{1} << 32}, 32), SecAggError);
  EXPECT_THROW(writer.WriteU64Vector(std::vector<uint64_t>{1}, 16), ConfigError);
  ByteReader reader(writer.bytes());
  EXPECT_THROW(reader.ReadU64Vector("v", 48, 10), ConfigError);
}

TEST(ByteCodecTest, EmptyFieldsRoundTrip) {
  ByteWriter writer;
  writer.WriteBytes({});
  writer.WriteString("");
  writer.WriteU64Vector({}, 64);
  ByteReader reader(writer.bytes());
  EXPECT_TRUE(reader.ReadBytes("b", 0).empty());
  EXPECT_TRUE(reader.ReadString("s", 0).empty());
  EXPECT_TRUE(reader.ReadU64Vector("v", 64, 0).empty());
  reader.ExpectEnd();
  EXPECT_EQ(reader.remaining(), 0u);
}

}  // namespace
}  // namespace fedcrm::secagg
