// The train/test split of a silo's rows. One function so that every place
// that splits — the in-process simulation and a worker process given the
// same seed — holds out exactly the same rows.
#pragma once

#include <cstdint>
#include <vector>

namespace fedcrm::data {

struct RowSplit {
  std::vector<int64_t> train;  // ascending
  std::vector<int64_t> test;   // ascending
};

// A deterministic shuffle of [0, rows) by std::mt19937_64(seed) (whose output
// the C++ standard fixes), the first round(test_fraction · rows) held out.
// test_fraction must be in [0, 1).
RowSplit SplitRows(int64_t rows, double test_fraction, uint64_t seed);

}  // namespace fedcrm::data
