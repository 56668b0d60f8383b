#include "core/model/safetensors.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/common/error.h"

namespace fedcrm::model {
namespace {

std::string LittleEndian64(uint64_t value) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

// A file with `header` as its JSON text (unpadded) and `data_bytes` bytes of data.
std::string Craft(const std::string& header, size_t data_bytes) {
  return LittleEndian64(header.size()) + header + std::string(data_bytes, '\0');
}

SafetensorsContents Sample() {
  SafetensorsContents contents;
  contents.tensors.push_back({"layer0.weight", {2, 3}, {1, -2, 3.5, 0.25, -0.0, 1e-310}});
  contents.tensors.push_back({"layer0.bias", {2}, {std::numeric_limits<double>::infinity(), 7}});
  contents.tensors.push_back({"empty", {0, 4}, {}});
  contents.tensors.push_back({"scalar", {}, {42}});
  contents.metadata["fedcrm.format"] = "1";
  contents.metadata["note"] = "{\"json\": \"inside\"}";
  return contents;
}

// The DataError message for reading `bytes`, or "" when it parses.
std::string ReadError(const std::string& bytes) {
  try {
    ReadSafetensors(bytes, "test.safetensors");
  } catch (const DataError& e) {
    EXPECT_EQ(e.position().file, "test.safetensors");
    return e.what();
  }
  return "";
}

#define EXPECT_READ_FAILS_WITH(bytes, fragment)                                     \
  do {                                                                              \
    const std::string message = ReadError(bytes);                                   \
    EXPECT_NE(message.find(fragment), std::string::npos) << "message: " << message; \
  } while (0)

TEST(SafetensorsTest, RoundTripIsBitExact) {
  const SafetensorsContents written = Sample();
  const SafetensorsContents read = ReadSafetensors(WriteSafetensors(written), "mem");
  ASSERT_EQ(read.tensors.size(), written.tensors.size());
  for (size_t t = 0; t < written.tensors.size(); ++t) {
    SCOPED_TRACE(written.tensors[t].name);
    // Zero-length tensors share an offset with their neighbour; compare by name.
    const NamedTensor* match = nullptr;
    for (const NamedTensor& r : read.tensors) {
      if (r.name == written.tensors[t].name) match = &r;
    }
    ASSERT_NE(match, nullptr);
    EXPECT_EQ(match->shape, written.tensors[t].shape);
    ASSERT_EQ(match->values.size(), written.tensors[t].values.size());
    for (size_t i = 0; i < match->values.size(); ++i) {
      EXPECT_EQ(std::bit_cast<uint64_t>(match->values[i]),
                std::bit_cast<uint64_t>(written.tensors[t].values[i]));
    }
  }
  EXPECT_EQ(read.metadata, written.metadata);
}

TEST(SafetensorsTest, NaNPayloadSurvives) {
  const double nan = std::bit_cast<double>(uint64_t{0x7ff800000000abcd});
  SafetensorsContents contents;
  contents.tensors.push_back({"x", {1}, {nan}});
  const SafetensorsContents read = ReadSafetensors(WriteSafetensors(contents), "mem");
  EXPECT_EQ(std::bit_cast<uint64_t>(read.tensors[0].values[0]), uint64_t{0x7ff800000000abcd});
}

TEST(SafetensorsTest, HeaderIsPaddedAndDataLittleEndian) {
  SafetensorsContents contents;
  contents.tensors.push_back({"w", {1}, {1.0}});
  const std::string bytes = WriteSafetensors(contents);
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i)
    header_length = (header_length << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ((8 + header_length) % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_length + 8);
  const std::string header = bytes.substr(8, header_length);
  EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
            R"({"w":{"data_offsets":[0,8],"dtype":"F64","shape":[1]}})");
  // 1.0 is 0x3ff0000000000000: the last byte of the data is 0x3f.
  EXPECT_EQ(bytes.substr(bytes.size() - 8), LittleEndian64(0x3ff0000000000000));
}

TEST(SafetensorsTest, ReadsOtherWritersLayouts) {
  // No padding, keys out of data order, and no metadata.
  const std::string header = R"({"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},)"
                             R"("a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  std::string bytes = LittleEndian64(header.size()) + header +
                      LittleEndian64(std::bit_cast<uint64_t>(2.0)) +
                      LittleEndian64(std::bit_cast<uint64_t>(3.0));
  const SafetensorsContents read = ReadSafetensors(bytes, "mem");
  ASSERT_EQ(read.tensors.size(), 2u);
  EXPECT_EQ(read.tensors[0].name, "a");  // data order
  EXPECT_EQ(read.tensors[0].values[0], 2.0);
  EXPECT_EQ(read.tensors[1].values[0], 3.0);
  EXPECT_TRUE(read.metadata.empty());
}

TEST(SafetensorsTest, RejectsTruncatedFiles) {
  EXPECT_READ_FAILS_WITH("", "at least 8 bytes");
  EXPECT_READ_FAILS_WITH(std::string("\x10\0\0\0", 4), "at least 8 bytes");
  const std::string good = WriteSafetensors(Sample());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_THROW(ReadSafetensors(good.substr(0, cut), "cut"), DataError) << "cut at " << cut;
  }
}

TEST(SafetensorsTest, RejectsHeaderLengthBeyondFile) {
  EXPECT_READ_FAILS_WITH(LittleEndian64(100) + "{}", "header length 100");
  EXPECT_READ_FAILS_WITH(LittleEndian64(~uint64_t{0}) + "{}", "expected at most 2");
}

TEST(SafetensorsTest, RejectsOversizedHeader) {
  const uint64_t too_big = kMaxSafetensorsHeaderBytes + 8;
  std::string bytes = LittleEndian64(too_big) + "{}" + std::string(too_big - 2, ' ');
  EXPECT_READ_FAILS_WITH(bytes, "expected at most " + std::to_string(kMaxSafetensorsHeaderBytes));
}

TEST(SafetensorsTest, RejectsBadJson) {
  EXPECT_READ_FAILS_WITH(Craft("{", 0), "invalid JSON");
  EXPECT_READ_FAILS_WITH(Craft("{} trailing", 0), "invalid JSON");
  EXPECT_READ_FAILS_WITH(Craft("[]", 0), "expected a JSON object");
  EXPECT_READ_FAILS_WITH(Craft("\"text\"", 0), "expected a JSON object");
  EXPECT_READ_FAILS_WITH(Craft(std::string(10000, '[') + std::string(10000, ']'), 0),
                         "nested more than");
  EXPECT_READ_FAILS_WITH(Craft(R"({"a":{"dtype":"F64","shape":[0],"data_offsets":[0,0]},)"
                               R"("a":{"dtype":"F64","shape":[0],"data_offsets":[0,0]}})",
                               0),
                         "duplicate key 'a'");
}

std::string Entry(const std::string& dtype, const std::string& shape, const std::string& offsets) {
  return R"({"t":{"dtype":)" + dtype + R"(,"shape":)" + shape + R"(,"data_offsets":)" + offsets +
         "}}";
}

TEST(SafetensorsTest, AcceptsAWellFormedEntry) {
  EXPECT_EQ(ReadError(Craft(Entry("\"F64\"", "[2]", "[0,16]"), 16)), "");
}

TEST(SafetensorsTest, RejectsBadOffsets) {
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[2]", "[0,24]"), 16), "begin <= end <= 16");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[2]", "[16,0]"), 16), "begin <= end");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[2]", "[-8,8]"), 16), "two non-negative");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[2]", "[0.0,16]"), 16), "two non-negative");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[2]", "[0,8,16]"), 16), "[begin, end]");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[1]", "[8,16]"), 16), "gap between tensors");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[1]", "[0,8]"), 16), "data section of 16 bytes");
  EXPECT_READ_FAILS_WITH(Craft(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
                               R"("b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})",
                               16),
                         "tensors overlap");
}

TEST(SafetensorsTest, RejectsShapeThatDoesNotMatchTheBytes) {
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[1]", "[0,16]"), 16), "expected 8 bytes");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[3]", "[0,16]"), 16), "at most 2 elements");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[-2]", "[0,16]"), 16), "non-negative");
  EXPECT_READ_FAILS_WITH(
      Craft(Entry("\"F64\"", "[4611686018427387904,4611686018427387904]", "[0,16]"), 16),
      "expected at most 2 elements");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "[18446744073709551615]", "[0,16]"), 16), "64-bit");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F64\"", "\"2\"", "[0,16]"), 16), "shape");
}

TEST(SafetensorsTest, RejectsUnknownOrUnsupportedDtype) {
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"F32\"", "[4]", "[0,16]"), 16),
                         "expected F64, the only dtype");
  EXPECT_READ_FAILS_WITH(Craft(Entry("\"Q7\"", "[2]", "[0,16]"), 16),
                         "expected a safetensors dtype");
  EXPECT_READ_FAILS_WITH(Craft(Entry("64", "[2]", "[0,16]"), 16), "dtype");
}

TEST(SafetensorsTest, RejectsMalformedEntriesAndMetadata) {
  EXPECT_READ_FAILS_WITH(Craft(R"({"t":[1,2]})", 0), "expected an object");
  EXPECT_READ_FAILS_WITH(Craft(R"({"t":{"dtype":"F64","shape":[0]}})", 0),
                         "dtype, shape and data_offsets");
  EXPECT_READ_FAILS_WITH(
      Craft(R"({"t":{"dtype":"F64","shape":[0],"data_offsets":[0,0],"extra":1}})", 0),
      "field 'extra'");
  EXPECT_READ_FAILS_WITH(Craft(R"({"":{"dtype":"F64","shape":[0],"data_offsets":[0,0]}})", 0),
                         "non-empty name");
  EXPECT_READ_FAILS_WITH(Craft(R"({"__metadata__":{"k":1}})", 0), "__metadata__.k");
  EXPECT_READ_FAILS_WITH(Craft(R"({"__metadata__":"x"})", 0), "object of strings");
}

// Random corruption must end in a clean parse or a DataError, never in a
// crash, a hang or another exception (run under ASan/UBSan in the sanitized
// twin of this test).
TEST(SafetensorsTest, SurvivesRandomCorruption) {
  const std::string good = WriteSafetensors(Sample());
  std::mt19937 engine(1234);
  std::uniform_int_distribution<size_t> position(0, good.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = good;
    const int flips = 1 + trial % 4;
    for (int f = 0; f < flips; ++f) bytes[position(engine)] = static_cast<char>(byte(engine));
    try {
      ReadSafetensors(bytes, "fuzz");
    } catch (const DataError&) {
    }
  }
}

TEST(SafetensorsTest, WriterRejectsInconsistentTensors) {
  SafetensorsContents contents;
  contents.tensors.push_back({"a", {3}, {1, 2}});
  EXPECT_THROW(WriteSafetensors(contents), std::invalid_argument);
  contents.tensors = {{"a", {1}, {1}}, {"a", {1}, {2}}};
  EXPECT_THROW(WriteSafetensors(contents), std::invalid_argument);
  contents.tensors = {{"__metadata__", {1}, {1}}};
  EXPECT_THROW(WriteSafetensors(contents), std::invalid_argument);
}

}  // namespace
}  // namespace fedcrm::model
