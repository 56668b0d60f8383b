// FedAvg with one full-batch local step per round and record weighting is
// exactly centralized full-batch gradient descent (McMahan et al. 2017).
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/fl/fedavg_harness.h"
#include "tests/unit/train/toy_models.h"

namespace fedcrm::fl {
namespace {

TEST(FedAvgExactnessTest, MatchesCentralizedGradientDescentOnPooledData) {
  // Unequal silo sizes, so record weighting matters.
  const std::vector<data::Dataset> silos = {
      testing::MakeToyData(50, 5, 1), testing::MakeToyData(170, 5, 2),
      testing::MakeToyData(13, 5, 3), testing::MakeToyData(400, 5, 4)};
  testing::ToyLogistic initial(5, /*l2=*/0.1);
  initial.SetParameters(Eigen::VectorXd::LinSpaced(6, -0.5, 0.5));
  double moved = 0.0;
  const double gap = testing::MaxFedAvgVsCentralizedGap(initial, silos, 0.8, 6, &moved);
  EXPECT_LT(gap, 1e-9);
  EXPECT_GT(moved, 0.1);  // the comparison is not between two idle models
}

TEST(FedAvgExactnessTest, UniformWeightingDiffersWhenSilosAreUnequal) {
  // Guards the test above: weighting really is what makes FedAvg exact.
  const std::vector<data::Dataset> silos = {testing::MakeToyData(20, 3, 5),
                                            testing::MakeToyData(300, 3, 6)};
  testing::ToyLogistic global(3, 0.0);
  train::SecureRandom rng = train::SecureRandom::ForTesting(1);
  const train::LocalTrainingConfig local{.steps = 1, .learning_rate = 0.5, .batch_size = 0};
  std::vector<ClientUpdate> by_records, uniform;
  for (const data::Dataset& silo : silos) {
    const Eigen::VectorXd delta = train::TrainLocal(global, silo, local, rng).delta;
    by_records.push_back({delta, ClientWeight(Weighting::kByRecords, silo.rows())});
    uniform.push_back({delta, ClientWeight(Weighting::kUniform, silo.rows())});
  }
  EXPECT_GT((WeightedMean(by_records) - WeightedMean(uniform)).cwiseAbs().maxCoeff(), 1e-4);
}

}  // namespace
}  // namespace fedcrm::fl
