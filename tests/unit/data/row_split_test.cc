#include "core/data/row_split.h"

#include <gtest/gtest.h>

#include <set>

namespace fedcrm::data {
namespace {

TEST(RowSplitTest, PartitionsTheRowsDeterministically) {
  const RowSplit a = SplitRows(1000, 0.2, 7);
  EXPECT_EQ(a.test.size(), 200u);
  EXPECT_EQ(a.train.size(), 800u);
  std::set<int64_t> all(a.train.begin(), a.train.end());
  all.insert(a.test.begin(), a.test.end());
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(a.test.begin(), a.test.end()));
  const RowSplit again = SplitRows(1000, 0.2, 7);
  EXPECT_EQ(again.test, a.test);
  EXPECT_NE(SplitRows(1000, 0.2, 8).test, a.test);
  // Pinned: the split must not change with the standard library or a refactor,
  // or a worker process would hold out other rows than the simulator.
  EXPECT_EQ(SplitRows(10, 0.3, 1).test, (std::vector<int64_t>{1, 3, 7}));
}

TEST(RowSplitTest, NoTestRowsWhenTheFractionIsZero) {
  EXPECT_TRUE(SplitRows(5, 0.0, 1).test.empty());
  EXPECT_EQ(SplitRows(5, 0.0, 1).train.size(), 5u);
}

}  // namespace
}  // namespace fedcrm::data
