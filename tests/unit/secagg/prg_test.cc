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

// `head -c 64 /dev/zero | openssl enc -aes-256-ctr -K 000102...1f -iv 000...0 | xxd -p`
// (OpenSSL 3.0 CLI): the first 64 keystream bytes of the seed 00 01 .. 1f.
constexpr std::string_view kCountingKeystream =
    "f29000b62a499fd0a9f39a6add2e7780f05d76ae4ab99fe5a6f69b3148c2363d"
    "0ebcb5deb52c83bd08a8a935182c9199d24356532881602f809eb383c5ff5d56";
// The same for the all-zero seed. Its first block is AES-256 of the zero
// block under the zero key, the well-known dc95c078 a2408989 ad48a214 92842087.
constexpr std::string_view kZeroKeystream =
    "dc95c078a2408989ad48a21492842087530f8afbc74536b9a963b4f1c4cb738b"
    "cea7403d4d606b6e074ec5d3baf39d18726003ca37a62a74d1a2f58e7506358e";

TEST(PrgTest, KnownAnswer64Bits) {
  const auto keystream = FromHex(kCountingKeystream);
  const auto mask = ExpandMask(CountingSeed(), 8, 64);
  ASSERT_EQ(mask.size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(mask[i], LittleEndian(keystream, 8 * i, 8)) << i;
  EXPECT_EQ(mask[0], 0xd09f492ab60090f2u);

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

// ApplyMasks walks the vector once for all masks; it must equal applying
// them one at a time, signs included, at every width.
TEST(PrgTest, ApplyMasksEqualsOneMaskAtATime) {
  std::vector<SignedSeed> masks;
  for (int i = 0; i < 5; ++i) masks.push_back({Seed::Random(), i % 2 == 1});
  for (int bits : {20, 32, 40, 64}) {
    std::vector<uint64_t> together(9000);
    for (size_t i = 0; i < together.size(); ++i) together[i] = (i * 7919) % (1u << 20);
    std::vector<uint64_t> one_by_one = together;
    const std::vector<uint64_t> input = together;
    ApplyMasks(together, masks, bits);
    for (const SignedSeed& mask : masks) {
      mask.subtract ? SubtractMask(one_by_one, mask.seed, bits)
                    : AddMask(one_by_one, mask.seed, bits);
    }
    EXPECT_EQ(together, one_by_one) << "bits = " << bits;
    EXPECT_NE(together, input);
    // Negating every mask undoes them.
    std::vector<SignedSeed> undo = masks;
    for (SignedSeed& mask : undo) mask.subtract = !mask.subtract;
    ApplyMasks(together, undo, bits);
    EXPECT_EQ(together, input) << "bits = " << bits;
  }
  std::vector<uint64_t> untouched = {1, 2, 3};
  ApplyMasks(untouched, {}, 32);
  EXPECT_EQ(untouched, (std::vector<uint64_t>{1, 2, 3}));
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
