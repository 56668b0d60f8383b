#include "core/secagg/shamir.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

Secret32 Filled(uint8_t byte) {
  Secret32 secret;
  for (auto& b : secret.mutable_bytes()) b = byte;
  return secret;
}

BIGNUM* PrimeFromHex() {
  BIGNUM* p = nullptr;
  BN_hex2bn(&p, std::string(kShamirPrimeHex).c_str());
  return p;
}

TEST(ShamirTest, PrimeIsTheSmallestAbove2To256) {
  BIGNUM* p = PrimeFromHex();
  BN_CTX* ctx = BN_CTX_new();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(BN_check_prime(p, ctx, nullptr), 1);
  BIGNUM* candidate = BN_new();
  BN_set_bit(candidate, 256);
  BN_add_word(candidate, 297);
  EXPECT_EQ(BN_cmp(candidate, p), 0);  // p = 2^256 + 297
  for (int k = 1; k < 297; ++k) {
    BN_zero(candidate);
    BN_set_bit(candidate, 256);
    BN_add_word(candidate, static_cast<BN_ULONG>(k));
    EXPECT_EQ(BN_check_prime(candidate, ctx, nullptr), 0) << "2^256 + " << k;
  }
  BN_free(candidate);
  BN_CTX_free(ctx);
  BN_free(p);
}

// Calls fn on every subset of {0..n-1} of size k, as index lists.
template <typename Fn>
void ForEachSubset(int n, int k, Fn fn) {
  for (uint32_t bits = 0; bits < (1u << n); ++bits) {
    if (__builtin_popcount(bits) != k) continue;
    std::vector<int> subset;
    for (int i = 0; i < n; ++i) {
      if (bits & (1u << i)) subset.push_back(i);
    }
    fn(subset);
  }
}

TEST(ShamirTest, AnyThresholdSubsetReconstructs) {
  const Secret32 secret = Secret32::Random();
  for (int n = 1; n <= 6; ++n) {
    for (int t = 1; t <= n; ++t) {
      const auto shares = Split(secret, t, n);
      ASSERT_EQ(shares.size(), static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) EXPECT_EQ(shares[i].x, static_cast<uint32_t>(i + 1));
      for (int k = t; k <= n; ++k) {
        ForEachSubset(n, k, [&](const std::vector<int>& subset) {
          std::vector<Share> chosen;
          // Reverse order: reconstruction must not depend on x being sorted.
          for (auto it = subset.rbegin(); it != subset.rend(); ++it) chosen.push_back(shares[*it]);
          EXPECT_TRUE(Combine(chosen, t) == secret) << "t=" << t << " n=" << n << " k=" << k;
        });
      }
    }
  }
}

// SecAgg+ sizes (t = 11 of k = 20 neighbours, and more): scattered x, extra
// shares checked against the first t, one corrupted anywhere is caught.
TEST(ShamirTest, LargeShareSetsReconstructAndCheckEveryExtraShare) {
  const Secret32 secret = Secret32::Random();
  const auto shares = Split(secret, 11, 40);
  std::vector<Share> chosen;
  for (size_t i = 39; i < 40; i -= 2) chosen.push_back(shares[i]);  // x = 40, 38, ..., 2
  ASSERT_EQ(chosen.size(), 20u);
  EXPECT_TRUE(Combine(chosen, 11) == secret);
  for (size_t corrupt : {size_t{0}, size_t{10}, size_t{19}}) {
    std::vector<Share> bad = chosen;
    bad[corrupt].y.mutable_bytes()[5] ^= 0x40;
    EXPECT_THROW(Combine(bad, 11), SecAggError) << corrupt;
  }
}

TEST(ShamirTest, ExtremeSecretsRoundTrip) {
  for (uint8_t byte : {uint8_t{0x00}, uint8_t{0xff}}) {
    const auto shares = Split(Filled(byte), 3, 5);
    EXPECT_TRUE(Combine(std::span(shares).subspan(2), 3) == Filled(byte));
  }
}

TEST(ShamirTest, ThresholdOneSharesAreTheSecret) {
  const Secret32 secret = Secret32::Random();
  const auto shares = Split(secret, 1, 3);
  for (const Share& share : shares) {
    EXPECT_EQ(share.y.bytes()[0], 0);
    EXPECT_TRUE(
        std::equal(secret.bytes().begin(), secret.bytes().end(), share.y.bytes().begin() + 1));
  }
}

// With t - 1 shares every secret is equally likely: the joint distribution of
// the shares does not depend on the secret. Compare the low byte of the two
// shares held by a coalition of t - 1 = 2 silos, over many splittings of two
// very different secrets (two-sample chi-square, 255 degrees of freedom per
// share). The splittings are random, so the bound is far in the tail (1e-9).
TEST(ShamirTest, FewerThanThresholdSharesRevealNothing) {
  constexpr int kTrials = 3000;
  std::vector<std::vector<int64_t>> counts(4, std::vector<int64_t>(256, 0));
  const Secret32 secrets[2] = {Filled(0x00), Filled(0xff)};
  for (int s = 0; s < 2; ++s) {
    for (int trial = 0; trial < kTrials; ++trial) {
      const auto shares = Split(secrets[s], 3, 5);
      for (int j = 0; j < 2; ++j) ++counts[2 * s + j][shares[j].y.bytes()[32]];
    }
  }
  for (int j = 0; j < 2; ++j) {
    double chi2 = 0;
    for (int v = 0; v < 256; ++v) {
      const double a = static_cast<double>(counts[j][v]);
      const double b = static_cast<double>(counts[2 + j][v]);
      if (a + b > 0) chi2 += (a - b) * (a - b) / (a + b);
    }
    EXPECT_LT(chi2, 440.0) << "share " << j + 1;
  }
  // Splitting is randomised: the same secret gives different shares.
  const auto a = Split(Filled(0x00), 2, 2);
  const auto b = Split(Filled(0x00), 2, 2);
  EXPECT_FALSE(a[0].y == b[0].y);
}

TEST(ShamirTest, SerializeParseRoundTrip) {
  const auto shares = Split(Secret32::Random(), 2, 3);
  for (const Share& share : shares) {
    const std::string bytes = Serialize(share);
    ASSERT_EQ(bytes.size(), kSerializedShareBytes);
    const Share parsed = Parse(bytes);
    EXPECT_EQ(parsed.x, share.x);
    EXPECT_TRUE(parsed.y == share.y);
  }
  Share big;
  big.x = 0x01020304;
  EXPECT_EQ(Serialize(big).substr(0, 4), std::string("\x01\x02\x03\x04", 4));
}

TEST(ShamirTest, ParseRejectsMalformedShares) {
  const std::string good = Serialize(Split(Secret32::Random(), 2, 2)[0]);
  EXPECT_THROW(Parse(""), SecAggError);
  EXPECT_THROW(Parse(good.substr(0, good.size() - 1)), SecAggError);
  EXPECT_THROW(Parse(good + "x"), SecAggError);

  std::string zero_x = good;
  zero_x.replace(0, 4, std::string(4, '\0'));
  EXPECT_THROW(Parse(zero_x), SecAggError);

  // y = p and y = 2^264 - 1 are not field elements.
  std::string y_is_p = good.substr(0, 4) + std::string(1, '\x01') + std::string(30, '\0') +
                       std::string("\x01\x29", 2);
  ASSERT_EQ(y_is_p.size(), kSerializedShareBytes);
  EXPECT_THROW(Parse(y_is_p), SecAggError);
  EXPECT_THROW(Parse(good.substr(0, 4) + std::string(33, '\xff')), SecAggError);
  // y = p - 1 is.
  std::string y_below_p = y_is_p;
  y_below_p.back() = '\x28';
  EXPECT_NO_THROW(Parse(y_below_p));
}

TEST(ShamirTest, CombineRejectsInvalidShareSets) {
  const auto shares = Split(Secret32::Random(), 3, 5);
  EXPECT_THROW(Combine(std::span(shares).first(2), 3), SecAggError);
  EXPECT_THROW(Combine(shares, 0), SecAggError);

  std::vector<Share> duplicate = {shares[0], shares[1], shares[0]};
  EXPECT_THROW(Combine(duplicate, 3), SecAggError);

  std::vector<Share> zero_x = {shares[0], shares[1], shares[2]};
  zero_x[1].x = 0;
  EXPECT_THROW(Combine(zero_x, 3), SecAggError);

  std::vector<Share> too_big = {shares[0], shares[1], shares[2]};
  for (auto& b : too_big[2].y.mutable_bytes()) b = 0xff;
  EXPECT_THROW(Combine(too_big, 3), SecAggError);
}

TEST(ShamirTest, CombineDetectsInconsistentExtraShares) {
  const auto shares = Split(Secret32::Random(), 2, 4);
  std::vector<Share> corrupted(shares.begin(), shares.end());
  corrupted[3].y.mutable_bytes()[32] ^= 1;
  EXPECT_THROW(Combine(corrupted, 2), SecAggError);
  // Mixing shares of two secrets is caught the same way.
  const auto other = Split(Secret32::Random(), 2, 4);
  std::vector<Share> mixed = {shares[0], shares[1], other[2]};
  EXPECT_THROW(Combine(mixed, 2), SecAggError);
}

TEST(ShamirTest, SplitValidatesThreshold) {
  const Secret32 secret;
  EXPECT_THROW(Split(secret, 0, 3), SecAggError);
  EXPECT_THROW(Split(secret, 4, 3), SecAggError);
  EXPECT_THROW(Split(secret, 1, 0), SecAggError);
  EXPECT_THROW(Split(secret, -1, 3), SecAggError);
  EXPECT_EQ(Split(secret, 1, 1).size(), 1u);
  EXPECT_EQ(Split(secret, 3, 3).size(), 3u);
}

}  // namespace
}  // namespace fedcrm::secagg
