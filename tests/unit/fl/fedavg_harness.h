// Compares federated averaging against centralized training on pooled data.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <memory>
#include <vector>

#include "core/data/dataset.h"
#include "core/fl/aggregation.h"
#include "core/fl/server_optimizer.h"
#include "core/model/model.h"
#include "core/train/local_trainer.h"
#include "core/train/secure_random.h"

namespace fedcrm::testing {

inline data::Dataset Pool(const std::vector<data::Dataset>& silos) {
  data::Dataset pooled = silos.front();
  Eigen::Index rows = 0;
  for (const data::Dataset& s : silos) rows += s.rows();
  pooled.x.resize(rows, silos.front().cols());
  pooled.y.resize(rows);
  Eigen::Index at = 0;
  for (const data::Dataset& s : silos) {
    pooled.x.middleRows(at, s.rows()) = s.x;
    pooled.y.segment(at, s.rows()) = s.y;
    at += s.rows();
  }
  return pooled;
}

// Runs `rounds` rounds of FedAvg (one full-batch local step of size `lr` per
// silo, deltas weighted by record count, server fedavg with lr 1) next to
// `rounds` steps of full-batch gradient descent on the pooled data, both from
// `initial`. Returns the largest absolute parameter difference seen after any
// round; *moved receives how far the centralized run travelled.
inline double MaxFedAvgVsCentralizedGap(const model::Model& initial,
                                        const std::vector<data::Dataset>& silos, double lr,
                                        int rounds, double* moved) {
  const data::Dataset pooled = Pool(silos);
  std::unique_ptr<model::Model> global = initial.Clone();
  std::unique_ptr<model::Model> central = initial.Clone();
  auto server = fl::MakeServerOptimizer({.type = "fedavg", .learning_rate = 1.0});
  const train::LocalTrainingConfig local{.steps = 1, .learning_rate = lr, .batch_size = 0};
  train::SecureRandom rng = train::SecureRandom::ForTesting(0);

  double gap = 0.0;
  for (int round = 0; round < rounds; ++round) {
    std::vector<fl::ClientUpdate> updates;
    for (const data::Dataset& silo : silos) {
      updates.push_back({train::TrainLocal(*global, silo, local, rng).delta,
                         fl::ClientWeight(fl::Weighting::kByRecords, silo.rows())});
    }
    Eigen::VectorXd params = global->Parameters();
    server->Apply(fl::WeightedMean(updates), &params);
    global->SetParameters(params);

    Eigen::VectorXd gradient;
    central->LossAndGradient(pooled.x, pooled.y, &gradient);
    central->SetParameters(central->Parameters() - lr * gradient);

    gap = std::max(gap, (global->Parameters() - central->Parameters()).cwiseAbs().maxCoeff());
  }
  *moved = (central->Parameters() - initial.Parameters()).norm();
  return gap;
}

}  // namespace fedcrm::testing
