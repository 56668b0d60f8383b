// Reading and writing NumPy .npy files (format version 1.0), so that the
// benchmark data is written once and read byte for byte by fedcrm and by the
// Python peers.
//
// Only what the benchmarks need: little-endian float64 matrices and int32
// vectors in C (row-major) order.
#pragma once

#include <Eigen/Core>
#include <string>

namespace fedcrm::bench {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Writes `x` as a 2-d '<f8' array. Throws fedcrm::DataError when the file
// cannot be written.
void WriteNpyMatrix(const std::string& path, const Eigen::MatrixXd& x);

// Writes `y` as a 1-d '<i4' array. Throws fedcrm::DataError when the file
// cannot be written.
void WriteNpyVector(const std::string& path, const Eigen::VectorXi& y);

// Reads a 2-d '<f8' C-order array. Throws fedcrm::DataError naming the file
// and what was expected when it is missing, truncated or of another type.
Eigen::MatrixXd ReadNpyMatrix(const std::string& path);

// Reads a 1-d '<i4' array, with the same errors as ReadNpyMatrix.
Eigen::VectorXi ReadNpyVector(const std::string& path);

}  // namespace fedcrm::bench
