// Test helpers shared by the model tests: finite-difference gradient checks
// that every Model must pass, independent of its internals.
#pragma once

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <memory>

#include "core/model/model.h"

namespace fedcrm::model::testing {

inline constexpr double kStep = 1e-5;
inline constexpr double kTolerance = 1e-5;

// ||a - b|| / max(||a||, ||b||), with a floor so two zero vectors agree.
inline double RelativeError(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const double scale = std::max({a.norm(), b.norm(), 1e-8});
  return (a - b).norm() / scale;
}

// Central differences of the loss (penalty included) on (x, y).
inline Eigen::VectorXd NumericGradient(const Model& model, const Eigen::MatrixXd& x,
                                       const Eigen::VectorXi& y) {
  std::unique_ptr<Model> probe = model.Clone();
  const Eigen::VectorXd center = model.Parameters();
  Eigen::VectorXd gradient(center.size());
  for (Eigen::Index j = 0; j < center.size(); ++j) {
    Eigen::VectorXd shifted = center;
    shifted(j) = center(j) + kStep;
    probe->SetParameters(shifted);
    const double up = probe->LossAndGradient(x, y, nullptr);
    shifted(j) = center(j) - kStep;
    probe->SetParameters(shifted);
    const double down = probe->LossAndGradient(x, y, nullptr);
    gradient(j) = (up - down) / (2 * kStep);
  }
  return gradient;
}

// LossAndGradient's gradient matches central differences.
inline void ExpectLossGradientMatchesFiniteDifferences(const Model& model, const Eigen::MatrixXd& x,
                                                       const Eigen::VectorXi& y) {
  Eigen::VectorXd analytic;
  model.LossAndGradient(x, y, &analytic);
  const Eigen::VectorXd numeric = NumericGradient(model, x, y);
  ASSERT_EQ(analytic.size(), model.NumParameters());
  EXPECT_LT(RelativeError(analytic, numeric), kTolerance) << "analytic:\n"
                                                          << analytic.transpose() << "\nnumeric:\n"
                                                          << numeric.transpose();
}

// Column i of PerExampleGradients is the gradient of example i's own loss.
// The one-row loss includes the penalty, so its gradient is the column plus
// PenaltyGradient(); this checks both.
inline void ExpectPerExampleGradientsMatchFiniteDifferences(const Model& model,
                                                            const Eigen::MatrixXd& x,
                                                            const Eigen::VectorXi& y) {
  Eigen::MatrixXd per_example;
  model.PerExampleGradients(x, y, &per_example);
  ASSERT_EQ(per_example.rows(), model.NumParameters());
  ASSERT_EQ(per_example.cols(), x.rows());
  const Eigen::VectorXd penalty = model.PenaltyGradient();
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::MatrixXd row = x.row(i);
    const Eigen::VectorXi label = y.segment(i, 1);
    const Eigen::VectorXd numeric = NumericGradient(model, row, label);
    EXPECT_LT(RelativeError(per_example.col(i) + penalty, numeric), kTolerance) << "example " << i;
  }
}

// mean(per-example gradients) + PenaltyGradient() == LossAndGradient's gradient.
inline void ExpectMeanOfPerExampleGradientsIsBatchGradient(const Model& model,
                                                           const Eigen::MatrixXd& x,
                                                           const Eigen::VectorXi& y) {
  Eigen::VectorXd batch;
  model.LossAndGradient(x, y, &batch);
  Eigen::MatrixXd per_example;
  model.PerExampleGradients(x, y, &per_example);
  const Eigen::VectorXd combined = per_example.rowwise().mean() + model.PenaltyGradient();
  EXPECT_LT(RelativeError(combined, batch), 1e-12);
}

inline void ExpectProbabilitiesAreDistributions(const Eigen::MatrixXd& proba) {
  ASSERT_TRUE(proba.allFinite());
  EXPECT_GE(proba.minCoeff(), 0.0);
  EXPECT_LE(proba.maxCoeff(), 1.0);
  for (Eigen::Index i = 0; i < proba.rows(); ++i) {
    EXPECT_NEAR(proba.row(i).sum(), 1.0, 1e-12) << "row " << i;
  }
}

// Gaussian features and labels from a fixed generator, reproducible per seed.
struct Batch {
  Eigen::MatrixXd x;
  Eigen::VectorXi y;
};
Batch RandomBatch(Eigen::Index rows, int cols, int num_classes, unsigned seed);

}  // namespace fedcrm::model::testing
