#include "core/train/dp_sgd.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <sstream>
#include <string>

#include "core/common/error.h"
#include "core/train/minibatch.h"

namespace fedcrm::train {
namespace {

// Per-example gradients of one chunk are a NumParameters x rows matrix; this
// caps it at 16 MiB of doubles so a Poisson batch of any size fits.
constexpr Eigen::Index kMaxChunkDoubles = Eigen::Index{1} << 21;
constexpr Eigen::Index kMaxChunkRows = 1024;

std::string Describe(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

Eigen::Index ChunkRows(Eigen::Index num_parameters) {
  return std::clamp<Eigen::Index>(kMaxChunkDoubles / std::max<Eigen::Index>(num_parameters, 1), 1,
                                  kMaxChunkRows);
}

}  // namespace

void ValidateDpSgdConfig(const DpSgdConfig& dp) {
  // Written as !(ok) so that NaN is rejected too.
  if (!(dp.sampling_rate > 0.0 && dp.sampling_rate <= 1.0)) {
    throw ConfigError("dp.sampling_rate", "must be in (0, 1], got " + Describe(dp.sampling_rate));
  }
  if (!(dp.noise_multiplier > 0.0 && std::isfinite(dp.noise_multiplier))) {
    throw ConfigError("dp.noise_multiplier",
                      "must be a finite number > 0, got " + Describe(dp.noise_multiplier));
  }
  if (!(dp.clip_norm > 0.0 && std::isfinite(dp.clip_norm))) {
    throw ConfigError("dp.clip_norm", "must be a finite number > 0, got " + Describe(dp.clip_norm));
  }
}

std::vector<Eigen::Index> PoissonSample(Eigen::Index n, double q, SecureRandom& rng) {
  std::vector<Eigen::Index> sample;
  sample.reserve(static_cast<size_t>(std::ceil(static_cast<double>(n) * q * 1.1)) + 16);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (rng.Bernoulli(q)) sample.push_back(i);
  }
  return sample;
}

int64_t ClipPerExample(Eigen::MatrixXd* grads, double clip_norm) {
  assert(clip_norm > 0.0);
  int64_t clipped = 0;
  for (Eigen::Index j = 0; j < grads->cols(); ++j) {
    auto column = grads->col(j);
    const double norm = column.norm();
    if (!std::isfinite(norm)) {
      column.setZero();
      ++clipped;
    } else if (norm > clip_norm) {
      column *= clip_norm / norm;
      ++clipped;
    }
  }
  return clipped;
}

Eigen::VectorXd ClippedGradientSum(const model::Model& model, const data::Dataset& data,
                                   const std::vector<Eigen::Index>& batch, double clip_norm,
                                   int64_t* num_clipped) {
  const Eigen::Index num_parameters = model.NumParameters();
  const auto chunk = static_cast<size_t>(ChunkRows(num_parameters));
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(num_parameters);
  Eigen::MatrixXd x;
  Eigen::VectorXi y;
  Eigen::MatrixXd grads;
  int64_t clipped = 0;
  for (size_t begin = 0; begin < batch.size(); begin += chunk) {
    const size_t end = std::min(batch.size(), begin + chunk);
    GatherRows(data, batch, begin, end, &x, &y);
    model.PerExampleGradients(x, y, &grads);
    clipped += ClipPerExample(&grads, clip_norm);
    sum += grads.rowwise().sum();
  }
  if (num_clipped != nullptr) *num_clipped = clipped;
  return sum;
}

void AddGaussianNoise(double stddev, SecureRandom& rng, Eigen::VectorXd* v) {
  for (Eigen::Index i = 0; i < v->size(); ++i) (*v)(i) += stddev * rng.Gaussian();
}

Eigen::VectorXd NoisyClippedSum(const model::Model& model, const data::Dataset& data,
                                const std::vector<Eigen::Index>& batch, const DpSgdConfig& dp,
                                SecureRandom& rng, PrivateGradientStats* stats) {
  int64_t clipped = 0;
  Eigen::VectorXd sum = ClippedGradientSum(model, data, batch, dp.clip_norm, &clipped);
  AddGaussianNoise(dp.noise_multiplier * dp.clip_norm, rng, &sum);
  if (stats != nullptr) {
    stats->batch_size = static_cast<int64_t>(batch.size());
    stats->num_clipped = clipped;
  }
  return sum;
}

Eigen::VectorXd PrivateGradient(const model::Model& model, const data::Dataset& data,
                                const std::vector<Eigen::Index>& batch, const DpSgdConfig& dp,
                                SecureRandom& rng, PrivateGradientStats* stats) {
  assert(data.rows() > 0);
  // Dividing by the realized batch size would make the sensitivity depend on
  // the sample; the accountant's analysis assumes the fixed expected size.
  const double expected_batch = dp.sampling_rate * static_cast<double>(data.rows());
  Eigen::VectorXd gradient = NoisyClippedSum(model, data, batch, dp, rng, stats);
  gradient /= expected_batch;
  gradient += model.PenaltyGradient();
  return gradient;
}

}  // namespace fedcrm::train
