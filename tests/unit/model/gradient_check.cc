#include "tests/unit/model/gradient_check.h"

#include <random>

namespace fedcrm::model::testing {

Batch RandomBatch(Eigen::Index rows, int cols, int num_classes, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> label(0, num_classes - 1);
  Batch batch{Eigen::MatrixXd(rows, cols), Eigen::VectorXi(rows)};
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) batch.x(i, j) = normal(engine);
    batch.y(i) = label(engine);
  }
  return batch;
}

}  // namespace fedcrm::model::testing
