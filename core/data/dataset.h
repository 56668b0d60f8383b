// An encoded dataset: what training and evaluation consume.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

namespace fedcrm::data {

// Rows are examples, columns are encoded features (already standardized with
// federation-wide statistics). Labels are class indices in [0, num_classes).
// Binary tasks have num_classes == 2 and label 1 is the positive class.
struct Dataset {
  Eigen::MatrixXd x;
  Eigen::VectorXi y;
  int num_classes = 2;
  std::vector<std::string> feature_names;  // one per column of x
  std::vector<std::string> class_names;    // one per class

  Eigen::Index rows() const { return x.rows(); }
  Eigen::Index cols() const { return x.cols(); }

  // The examples at `indices`, in that order.
  Dataset Subset(const std::vector<Eigen::Index>& indices) const {
    Dataset out;
    out.num_classes = num_classes;
    out.feature_names = feature_names;
    out.class_names = class_names;
    out.x.resize(static_cast<Eigen::Index>(indices.size()), x.cols());
    out.y.resize(static_cast<Eigen::Index>(indices.size()));
    for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(indices.size()); ++i) {
      out.x.row(i) = x.row(indices[static_cast<size_t>(i)]);
      out.y(i) = y(indices[static_cast<size_t>(i)]);
    }
    return out;
  }
};

}  // namespace fedcrm::data
