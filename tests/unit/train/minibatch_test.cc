#include "core/train/minibatch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "tests/unit/train/toy_models.h"

namespace fedcrm::train {
namespace {

std::vector<Eigen::Index> Sorted(std::vector<Eigen::Index> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(MinibatchSamplerTest, BatchesOfAnEpochPartitionTheData) {
  SecureRandom rng = SecureRandom::ForTesting(1);
  MinibatchSampler sampler(12, 4);
  for (int epoch = 0; epoch < 5; ++epoch) {
    std::vector<Eigen::Index> seen;
    for (int b = 0; b < 3; ++b) {
      const std::vector<Eigen::Index> batch = sampler.Next(rng);
      ASSERT_EQ(batch.size(), 4u);
      seen.insert(seen.end(), batch.begin(), batch.end());
    }
    std::vector<Eigen::Index> all(12);
    std::iota(all.begin(), all.end(), Eigen::Index{0});
    EXPECT_EQ(Sorted(seen), all) << "epoch " << epoch;
  }
}

TEST(MinibatchSamplerTest, ReshufflesWhenLessThanABatchRemains) {
  SecureRandom rng = SecureRandom::ForTesting(2);
  MinibatchSampler sampler(10, 3);
  std::set<Eigen::Index> epoch;
  for (int b = 0; b < 3; ++b) {
    for (Eigen::Index i : sampler.Next(rng)) EXPECT_TRUE(epoch.insert(i).second);
  }
  EXPECT_EQ(epoch.size(), 9u);
  // The fourth batch comes from a new permutation: full size, distinct.
  const std::vector<Eigen::Index> next = sampler.Next(rng);
  EXPECT_EQ(std::set<Eigen::Index>(next.begin(), next.end()).size(), 3u);
}

TEST(MinibatchSamplerTest, OrderIsShuffled) {
  SecureRandom rng = SecureRandom::ForTesting(3);
  MinibatchSampler sampler(100, 100);
  std::vector<Eigen::Index> identity(100);
  std::iota(identity.begin(), identity.end(), Eigen::Index{0});
  const std::vector<Eigen::Index> first = sampler.Next(rng);
  const std::vector<Eigen::Index> second = sampler.Next(rng);
  EXPECT_NE(first, identity);
  EXPECT_NE(first, second);
  EXPECT_EQ(Sorted(first), identity);
}

TEST(MinibatchSamplerTest, ShuffleIsUniformOverPositions) {
  // Under a uniform shuffle each position keeps its previous occupant with
  // probability 1/n; biased variants (e.g. Sattolo's cycles) never do.
  SecureRandom rng = SecureRandom::ForTesting(6);
  MinibatchSampler sampler(5, 5);
  std::vector<Eigen::Index> previous = sampler.Next(rng);
  int kept = 0;
  const int epochs = 4000;
  for (int e = 0; e < epochs; ++e) {
    const std::vector<Eigen::Index> next = sampler.Next(rng);
    for (size_t i = 0; i < next.size(); ++i) kept += next[i] == previous[i] ? 1 : 0;
    previous = next;
  }
  // Standard error sqrt(0.2 * 0.8 / 20000) ~ 0.003.
  EXPECT_NEAR(kept / (5.0 * epochs), 0.2, 0.02);
}

TEST(MinibatchSamplerTest, BatchLargerThanDataIsClampedToData) {
  SecureRandom rng = SecureRandom::ForTesting(4);
  MinibatchSampler sampler(5, 64);
  EXPECT_EQ(sampler.Next(rng).size(), 5u);
}

TEST(GatherRowsTest, CopiesTheIndexedRangeInOrder) {
  const data::Dataset data = fedcrm::testing::MakeToyData(20, 3, 5);
  const std::vector<Eigen::Index> indices = {7, 2, 19, 2, 0};
  Eigen::MatrixXd x;
  Eigen::VectorXi y;
  GatherRows(data, indices, 1, 4, &x, &y);
  ASSERT_EQ(x.rows(), 3);
  ASSERT_EQ(x.cols(), 3);
  for (Eigen::Index i = 0; i < 3; ++i) {
    const Eigen::Index source = indices[static_cast<size_t>(i) + 1];
    EXPECT_EQ(x.row(i), data.x.row(source));
    EXPECT_EQ(y(i), data.y(source));
  }
}

}  // namespace
}  // namespace fedcrm::train
