#include "core/data/text_hashing.h"

#include <gtest/gtest.h>

namespace fedcrm::data {
namespace {

using Counts = std::vector<std::pair<std::int32_t, std::int32_t>>;

TEST(Fnv1a64Test, KnownVectors) {
  // Reference values of 64-bit FNV-1a.
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(HashedTokenCountsTest, LowercasesAndSplitsOnNonAlphanumerics) {
  const int buckets = 1000;
  EXPECT_EQ(HashedTokenCounts("Login FAILED; login-failed!!", buckets),
            HashedTokenCounts("login failed login failed", buckets));
  const Counts counts = HashedTokenCounts("login failed login failed", buckets);
  std::int32_t total = 0;
  for (const auto& [bucket, count] : counts) {
    EXPECT_GE(bucket, 0);
    EXPECT_LT(bucket, buckets);
    total += count;
  }
  EXPECT_EQ(total, 4);
  const auto login = static_cast<std::int32_t>(Fnv1a64("login") % buckets);
  bool found = false;
  for (const auto& [bucket, count] : counts) {
    if (bucket == login) {
      found = true;
      EXPECT_GE(count, 2);
    }
  }
  EXPECT_TRUE(found);
}

TEST(HashedTokenCountsTest, SortedByBucketAndMerged) {
  const Counts counts = HashedTokenCounts("a b c d e f g h i j a b c", 3);
  std::int32_t total = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(counts[i - 1].first, counts[i].first);
    }
    total += counts[i].second;
  }
  EXPECT_EQ(total, 13);
  EXPECT_LE(counts.size(), 3u);
}

TEST(HashedTokenCountsTest, EmptyAndPunctuationOnly) {
  EXPECT_TRUE(HashedTokenCounts("", 8).empty());
  EXPECT_TRUE(HashedTokenCounts(" ,;!\n\t", 8).empty());
}

TEST(HashedTokenCountsTest, Utf8WordsStayWhole) {
  const Counts counts = HashedTokenCounts("caf\xC3\xA9", 1 << 12);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].first, static_cast<std::int32_t>(Fnv1a64("caf\xC3\xA9") % 4096));
}

}  // namespace
}  // namespace fedcrm::data
