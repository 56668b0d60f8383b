// One DP-SGD step (Abadi et al. 2016) in the form the RDP accountant assumes:
// Poisson sampling at rate q, per-example clipping to L2 norm C, Gaussian
// noise N(0, sigma^2 C^2) on the clipped sum, normalization by the EXPECTED
// batch size q * N. The pieces are separate functions so tests can check
// each one alone.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/model.h"
#include "core/train/secure_random.h"

namespace fedcrm::train {

struct DpSgdConfig {
  double sampling_rate = 0.0;     // q, in (0, 1]
  double noise_multiplier = 0.0;  // sigma, > 0
  double clip_norm = 0.0;         // C, > 0
};

// Throws fedcrm::ConfigError naming the offending field.
void ValidateDpSgdConfig(const DpSgdConfig& dp);

// Each of [0, n) independently with probability q, in increasing order.
std::vector<Eigen::Index> PoissonSample(Eigen::Index n, double q, SecureRandom& rng);

// Scales each column g of *grads by min(1, C / ||g||_2). A column whose norm
// is not finite is zeroed (its direction is meaningless and the sensitivity
// bound must hold regardless). Returns the number of columns changed.
int64_t ClipPerExample(Eigen::MatrixXd* grads, double clip_norm);

// Sum over `batch` (row indices of `data`) of the clipped per-example
// gradients of `model`, computed in chunks so that memory stays bounded for
// large batches. *num_clipped, when non-null, receives how many were clipped.
Eigen::VectorXd ClippedGradientSum(const model::Model& model, const data::Dataset& data,
                                   const std::vector<Eigen::Index>& batch, double clip_norm,
                                   int64_t* num_clipped = nullptr);

// Adds independent N(0, stddev^2) to every coordinate of *v.
void AddGaussianNoise(double stddev, SecureRandom& rng, Eigen::VectorXd* v);

struct PrivateGradientStats {
  int64_t batch_size = 0;   // realized Poisson batch size
  int64_t num_clipped = 0;  // examples whose gradient was clipped
};

// The clipped sum over `batch` plus N(0, sigma^2 C^2) per coordinate: the
// privatized quantity, before any post-processing.
Eigen::VectorXd NoisyClippedSum(const model::Model& model, const data::Dataset& data,
                                const std::vector<Eigen::Index>& batch, const DpSgdConfig& dp,
                                SecureRandom& rng, PrivateGradientStats* stats = nullptr);

// The DP-SGD gradient estimate at model's parameters:
//   NoisyClippedSum / (q * data.rows()) + model.PenaltyGradient().
// The penalty depends only on the parameters, so adding it costs no privacy.
// (A proximal term is likewise added by the caller.) Requires a valid `dp`.
Eigen::VectorXd PrivateGradient(const model::Model& model, const data::Dataset& data,
                                const std::vector<Eigen::Index>& batch, const DpSgdConfig& dp,
                                SecureRandom& rng, PrivateGradientStats* stats = nullptr);

}  // namespace fedcrm::train
