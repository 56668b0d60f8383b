// Drawing and materializing non-private minibatches.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "core/data/dataset.h"
#include "core/train/secure_random.h"

namespace fedcrm::train {

// Copies rows indices[begin, end) of `data` into *x and *y (resized).
void GatherRows(const data::Dataset& data, const std::vector<Eigen::Index>& indices, size_t begin,
                size_t end, Eigen::MatrixXd* x, Eigen::VectorXi* y);

// Minibatches drawn without replacement within a shuffled epoch: a fresh
// permutation of [0, n) is dealt out batch by batch, and reshuffled when fewer
// than a full batch remain, so every batch holds distinct examples and has
// exactly min(batch_size, n) of them.
class MinibatchSampler {
 public:
  // Requires n > 0 and batch_size > 0.
  MinibatchSampler(Eigen::Index n, int64_t batch_size);

  // The indices of the next batch.
  std::vector<Eigen::Index> Next(SecureRandom& rng);

 private:
  void Shuffle(SecureRandom& rng);

  std::vector<Eigen::Index> permutation_;
  size_t batch_size_;
  size_t position_;
};

}  // namespace fedcrm::train
