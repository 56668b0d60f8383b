#include "core/secagg/prg.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

uint64_t LittleEndian(const std::vector<uint8_t>& bytes, size_t offset, size_t width) {
  uint64_t value = 0;
  for (size_t i = width; i-- > 0;) value = (value << 8) | bytes[offset + i];
  return value;
}

Seed CountingSeed() {
  Seed seed;
  for (size_t i = 0; i < seed.size(); ++i) seed.mutable_bytes()[i] = static_cast<uint8_t>(i);
  return seed;
}

// `openssl enc -chacha20 -K 000102...1f -iv 000...0 -in <(head -c 64 /dev/zero) | xxd -p`
// (OpenSSL 3.0 CLI): the first 64 keystream bytes of the seed 00 01 .. 1f.
constexpr std::string_view kCountingKeystream =
    "39fd2b7dd9c5196a8dbd0377b8dc4a498a35d86fbcde6accb2cc7d4cd8ea2492"
    "2b23cce7a26023ab3f0eef693ac87f64258235eab1f7a32dc22762a0485b410c";
// RFC 8439 appendix A.1, test vector 1: all-zero key, nonce and counter.
constexpr std::string_view kZeroKeystream =
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";

TEST(PrgTest, KnownAnswer64Bits) {
  const auto keystream = FromHex(kCountingKeystream);
  const auto mask = ExpandMask(CountingSeed(), 8, 64);
  ASSERT_EQ(mask.size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(mask[i], LittleEndian(keystream, 8 * i, 8)) << i;
  EXPECT_EQ(mask[0], 0x6a19c5d97d2bfd39u);

  const auto zero = FromHex(kZeroKeystream);
  const auto zero_mask = ExpandMask(Seed(), 8, 64);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(zero_mask[i], LittleEndian(zero, 8 * i, 8)) << i;
}

TEST(PrgTest, KnownAnswerNarrowWidths) {
  const auto keystream = FromHex(kCountingKeystream);
  const auto mask32 = ExpandMask(CountingSeed(), 16, 32);
  const auto mask20 = ExpandMask(CountingSeed(), 16, 20);
  const auto mask40 = ExpandMask(CountingSeed(), 8, 40);
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(mask32[i], LittleEndian(keystream, 4 * i, 4)) << i;
    EXPECT_EQ(mask20[i], LittleEndian(keystream, 4 * i, 4) & 0xfffff) << i;
  }
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(mask40[i], LittleEndian(keystream, 8 * i, 8) & 0xffffffffffu) << i;
  }
}

TEST(PrgTest, DeterministicAndPrefixStable) {
  const Seed seed = Seed::Random();
  const auto long_mask = ExpandMask(seed, 10000, 64);
  EXPECT_EQ(ExpandMask(seed, 10000, 64), long_mask);
  const auto short_mask = ExpandMask(seed, 4097, 64);
  EXPECT_TRUE(std::equal(short_mask.begin(), short_mask.end(), long_mask.begin()));
  EXPECT_TRUE(ExpandMask(seed, 0, 32).empty());
}

TEST(PrgTest, DifferentSeedsGiveDifferentMasks) {
  Seed a = CountingSeed();
  Seed b = CountingSeed();
  b.mutable_bytes()[31] ^= 1;  // one bit of the seed
  const auto mask_a = ExpandMask(a, 1000, 64);
  const auto mask_b = ExpandMask(b, 1000, 64);
  int equal = 0;
  for (size_t i = 0; i < mask_a.size(); ++i) equal += mask_a[i] == mask_b[i];
  EXPECT_EQ(equal, 0);
}

double ChiSquare(const std::vector<int64_t>& counts) {
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double chi2 = 0;
  for (int64_t c : counts)
    chi2 += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
  return chi2;
}

TEST(PrgTest, BytesAreUniform) {
  // 2^17 words = 1 MiB of output over 256 byte values: chi-square with 255
  // degrees of freedom (mean 255, sd 22.6). The seed is fixed, so the result
  // is deterministic; 400 is beyond the 1e-9 tail.
  const auto mask = ExpandMask(CountingSeed(), 1 << 17, 64);
  std::vector<int64_t> counts(256, 0);
  for (uint64_t v : mask) {
    for (int b = 0; b < 8; ++b) ++counts[(v >> (8 * b)) & 0xff];
  }
  EXPECT_LT(ChiSquare(counts), 400.0);
}

TEST(PrgTest, ValuesAreUniformBelowModulus) {
  // Top four bits of each value, 16 buckets, 15 degrees of freedom; 60 is
  // beyond the 1e-6 tail.
  for (int bits : {20, 32, 64}) {
    const auto mask = ExpandMask(CountingSeed(), 1 << 16, bits);
    std::vector<int64_t> counts(16, 0);
    for (uint64_t v : mask) {
      if (bits < 64) {
        ASSERT_LT(v, uint64_t{1} << bits);
      }
      ++counts[v >> (bits - 4)];
    }
    EXPECT_LT(ChiSquare(counts), 60.0) << "bits = " << bits;
  }
}

TEST(PrgTest, AddThenSubtractRestoresValues) {
  const Seed seed = Seed::Random();
  std::vector<uint64_t> values(9000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = (i * 2654435761u) & 0xffffffffu;
  const auto original = values;
  AddMask(values, seed, 32);
  EXPECT_NE(values, original);
  for (uint64_t v : values) ASSERT_LT(v, uint64_t{1} << 32);
  SubtractMask(values, seed, 32);
  EXPECT_EQ(values, original);
}

TEST(PrgTest, StreamedMaskEqualsExpandedMask) {
  const Seed seed = Seed::Random();
  for (int bits : {32, 64}) {
    // Spans several internal chunks and ends mid-chunk.
    std::vector<uint64_t> streamed(10001, 7);
    std::vector<uint64_t> expanded = streamed;
    AddMask(streamed, seed, bits);
    AddMask(expanded, ExpandMask(seed, expanded.size(), bits), bits);
    EXPECT_EQ(streamed, expanded) << "bits = " << bits;
    SubtractMask(streamed, seed, bits);
    SubtractMask(expanded, ExpandMask(seed, expanded.size(), bits), bits);
    EXPECT_EQ(streamed, std::vector<uint64_t>(10001, 7)) << "bits = " << bits;
    EXPECT_EQ(expanded, streamed);
  }
}

TEST(PrgTest, ArithmeticWrapsModulo2ToBits) {
  std::vector<uint64_t> values = {0xffffffffu, 0, 5};
  AddMask(values, std::vector<uint64_t>{1, 0, 0xfffffffeu}, 32);
  EXPECT_EQ(values, (std::vector<uint64_t>{0, 0, 3}));
  SubtractMask(values, std::vector<uint64_t>{1, 1, 4}, 32);
  EXPECT_EQ(values, (std::vector<uint64_t>{0xffffffffu, 0xffffffffu, 0xffffffffu}));

  std::vector<uint64_t> wide = {~uint64_t{0}};
  AddMask(wide, std::vector<uint64_t>{2}, 64);
  EXPECT_EQ(wide[0], 1u);
}

TEST(PrgTest, PairwiseMasksCancelInTheSum) {
  // Silo a adds PRG(s), silo b subtracts it: the sum of their masked inputs is
  // the sum of their inputs, the core identity of SecAgg.
  const Seed shared = Seed::Random();
  std::vector<uint64_t> a = {1, 2, 3, 0xffffffffu};
  std::vector<uint64_t> b = {10, 20, 30, 1};
  AddMask(a, shared, 32);
  SubtractMask(b, shared, 32);
  AddMask(a, b, 32);
  EXPECT_EQ(a, (std::vector<uint64_t>{11, 22, 33, 0}));
}

TEST(PrgTest, RejectsInvalidArguments) {
  const Seed seed;
  EXPECT_THROW(ExpandMask(seed, 4, 0), SecAggError);
  EXPECT_THROW(ExpandMask(seed, 4, 65), SecAggError);
  EXPECT_THROW(ExpandMask(seed, kMaxMaskLength + 1, 32), SecAggError);
  std::vector<uint64_t> values(3);
  EXPECT_THROW(AddMask(values, std::vector<uint64_t>(2), 32), SecAggError);
  EXPECT_THROW(SubtractMask(values, std::vector<uint64_t>(4), 32), SecAggError);
  EXPECT_THROW(AddMask(values, seed, 0), SecAggError);
}

}  // namespace
}  // namespace fedcrm::secagg
