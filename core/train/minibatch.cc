#include "core/train/minibatch.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <utility>

namespace fedcrm::train {

void GatherRows(const data::Dataset& data, const std::vector<Eigen::Index>& indices, size_t begin,
                size_t end, Eigen::MatrixXd* x, Eigen::VectorXi* y) {
  assert(begin <= end && end <= indices.size());
  const auto count = static_cast<Eigen::Index>(end - begin);
  x->resize(count, data.x.cols());
  y->resize(count);
  for (Eigen::Index i = 0; i < count; ++i) {
    const Eigen::Index row = indices[begin + static_cast<size_t>(i)];
    x->row(i) = data.x.row(row);
    (*y)(i) = data.y(row);
  }
}

MinibatchSampler::MinibatchSampler(Eigen::Index n, int64_t batch_size)
    : permutation_(static_cast<size_t>(n)),
      batch_size_(static_cast<size_t>(std::min<int64_t>(batch_size, n))),
      position_(permutation_.size()) {
  assert(n > 0 && batch_size > 0);
  std::iota(permutation_.begin(), permutation_.end(), Eigen::Index{0});
}

void MinibatchSampler::Shuffle(SecureRandom& rng) {
  // Fisher-Yates with our own unbiased index draw: std::shuffle's use of the
  // generator is implementation-defined, which would make seeded runs differ
  // between standard libraries.
  for (size_t i = permutation_.size() - 1; i > 0; --i) {
    std::swap(permutation_[i], permutation_[rng.UniformIndex(i + 1)]);
  }
  position_ = 0;
}

std::vector<Eigen::Index> MinibatchSampler::Next(SecureRandom& rng) {
  if (permutation_.size() - position_ < batch_size_) Shuffle(rng);
  const auto first = permutation_.begin() + static_cast<std::ptrdiff_t>(position_);
  std::vector<Eigen::Index> batch(first, first + static_cast<std::ptrdiff_t>(batch_size_));
  position_ += batch_size_;
  return batch;
}

}  // namespace fedcrm::train
