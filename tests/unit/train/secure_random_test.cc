#include "core/train/secure_random.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <set>
#include <utility>
#include <vector>

namespace fedcrm::train {
namespace {

constexpr int kDraws = 100000;

TEST(SecureRandomTest, KeystreamIsAes256Ctr) {
  // AES-256 of the zero block under the zero key is dc95c078a2408989...
  // (FIPS-197 style known answer); NextU64 reads its first 8 bytes little-endian.
  SecureRandom rng(SecureRandom::Key{});
  EXPECT_EQ(rng.NextU64(), 0x898940a278c095dcULL);
  EXPECT_EQ(rng.NextU64(), 0x8720849214a248adULL);
}

TEST(SecureRandomTest, ForTestingIsDeterministicPerSeed) {
  SecureRandom a = SecureRandom::ForTesting(7);
  SecureRandom b = SecureRandom::ForTesting(7);
  SecureRandom c = SecureRandom::ForTesting(8);
  int same_as_c = 0;
  // Cross the 4096-byte buffer boundary to cover refills.
  for (int i = 0; i < 2000; ++i) {
    const uint64_t va = a.NextU64();
    EXPECT_EQ(va, b.NextU64());
    if (va == c.NextU64()) ++same_as_c;
  }
  EXPECT_EQ(same_as_c, 0);
}

TEST(SecureRandomTest, FromOsEntropyStreamsDiffer) {
  SecureRandom a = SecureRandom::FromOsEntropy();
  SecureRandom b = SecureRandom::FromOsEntropy();
  std::vector<uint64_t> sa, sb;
  for (int i = 0; i < 4; ++i) {
    sa.push_back(a.NextU64());
    sb.push_back(b.NextU64());
  }
  EXPECT_NE(sa, sb);
}

TEST(SecureRandomTest, MoveKeepsTheStream) {
  SecureRandom a = SecureRandom::ForTesting(3);
  SecureRandom reference = SecureRandom::ForTesting(3);
  EXPECT_EQ(a.NextU64(), reference.NextU64());
  SecureRandom moved(std::move(a));
  EXPECT_EQ(moved.NextU64(), reference.NextU64());
  SecureRandom assigned = SecureRandom::ForTesting(99);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.NextU64(), reference.NextU64());
}

TEST(SecureRandomTest, UniformIsInHalfOpenUnitIntervalWithMeanHalf) {
  SecureRandom rng = SecureRandom::ForTesting(1);
  double sum = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  // Standard error is sqrt(1/12 / 1e5) ~ 0.0009.
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
}

TEST(SecureRandomTest, GaussianHasMeanZeroAndVarianceOne) {
  SecureRandom rng = SecureRandom::ForTesting(2);
  double sum = 0.0, sum_sq = 0.0, sum_4 = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const double z = rng.Gaussian();
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_sq += z * z;
    sum_4 += z * z * z * z;
  }
  const double mean = sum / kDraws;
  // Standard errors: mean ~0.0032, variance ~0.0045, fourth moment ~0.03.
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(sum_sq / kDraws - mean * mean, 1.0, 0.03);
  EXPECT_NEAR(sum_4 / kDraws, 3.0, 0.2);
}

TEST(SecureRandomTest, BernoulliMatchesProbabilityAndEdges) {
  SecureRandom rng = SecureRandom::ForTesting(4);
  int hits = 0;
  for (int i = 0; i < kDraws; ++i) hits += rng.Bernoulli(0.3) ? 1 : 0;
  // Standard error ~0.0014.
  EXPECT_NEAR(static_cast<double>(hits) / kDraws, 0.3, 0.01);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(rng.Bernoulli(0.0));
    EXPECT_FALSE(rng.Bernoulli(-1.0));
    EXPECT_TRUE(rng.Bernoulli(1.0));
  }
}

TEST(SecureRandomTest, UniformIndexCoversRangeEvenly) {
  SecureRandom rng = SecureRandom::ForTesting(5);
  std::array<int, 7> counts{};
  for (int i = 0; i < 70000; ++i) {
    const uint64_t k = rng.UniformIndex(7);
    ASSERT_LT(k, 7u);
    ++counts[k];
  }
  // Each count is ~Binomial(70000, 1/7): mean 10000, sd ~93.
  for (int c : counts) EXPECT_NEAR(c, 10000, 600);
  EXPECT_EQ(rng.UniformIndex(1), 0u);
}

}  // namespace
}  // namespace fedcrm::train
