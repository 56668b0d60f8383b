#include "core/data/row_split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace fedcrm::data {
namespace {

// Fisher–Yates with std::mt19937_64 drawn directly: std::shuffle's use of the
// engine is implementation-defined, which would make a split depend on the
// standard library a worker was built with.
void Shuffle(std::vector<int64_t>& order, uint64_t seed) {
  std::mt19937_64 engine(seed);
  for (size_t i = order.size(); i > 1; --i) {
    // Rejection sampling for an unbiased index in [0, i).
    const uint64_t bound = static_cast<uint64_t>(i);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t draw = engine();
    while (draw >= limit) draw = engine();
    std::swap(order[i - 1], order[static_cast<size_t>(draw % bound)]);
  }
}

}  // namespace

RowSplit SplitRows(int64_t rows, double test_fraction, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(rows, 0)));
  std::iota(order.begin(), order.end(), int64_t{0});
  Shuffle(order, seed);
  const auto test_rows =
      static_cast<size_t>(std::llround(test_fraction * static_cast<double>(order.size())));
  RowSplit split;
  split.test.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(test_rows));
  split.train.assign(order.begin() + static_cast<std::ptrdiff_t>(test_rows), order.end());
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

}  // namespace fedcrm::data
