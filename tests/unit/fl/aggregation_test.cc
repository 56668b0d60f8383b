#include "core/fl/aggregation.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace fedcrm::fl {
namespace {

TEST(WeightedMeanTest, WeightsEachDeltaByItsWeight) {
  const std::vector<ClientUpdate> updates = {
      {Eigen::Vector2d(1.0, 2.0), 1.0},
      {Eigen::Vector2d(4.0, -2.0), 3.0},
  };
  // (1*[1,2] + 3*[4,-2]) / 4 = [13/4, -4/4]
  const Eigen::VectorXd mean = WeightedMean(updates);
  EXPECT_DOUBLE_EQ(mean(0), 3.25);
  EXPECT_DOUBLE_EQ(mean(1), -1.0);
}

TEST(WeightedMeanTest, ZeroWeightClientIsIgnored) {
  const std::vector<ClientUpdate> updates = {
      {Eigen::Vector2d(1.0, 1.0), 2.0},
      {Eigen::Vector2d(100.0, 100.0), 0.0},
  };
  EXPECT_EQ(WeightedMean(updates), Eigen::Vector2d(1.0, 1.0));
}

std::string ProblemOf(const std::vector<ClientUpdate>& updates) {
  try {
    WeightedMean(updates);
  } catch (const ConfigError& e) {
    return e.problem();
  }
  return "(accepted)";
}

TEST(WeightedMeanTest, RejectsInvalidInputWithAClearMessage) {
  EXPECT_EQ(ProblemOf({}), "no client updates to aggregate");
  EXPECT_EQ(ProblemOf({{Eigen::Vector2d(1, 2), 1.0}, {Eigen::Vector3d(1, 2, 3), 1.0}}),
            "update 1 has 3 parameters; expected 2 like update 0");
  EXPECT_EQ(ProblemOf({{Eigen::Vector2d(1, 2), 0.0}, {Eigen::Vector2d(1, 2), 0.0}}),
            "client weights sum to 0; expected > 0");
  EXPECT_NE(ProblemOf({{Eigen::Vector2d(1, 2), 2.0}, {Eigen::Vector2d(1, 2), -1.0}})
                .find("update 1 has weight -1"),
            std::string::npos);
  EXPECT_NE(ProblemOf({{Eigen::Vector2d(1, 2), std::numeric_limits<double>::infinity()}})
                .find("expected a finite number >= 0"),
            std::string::npos);
}

TEST(WeightingTest, ParsesNamesAndWeighs) {
  EXPECT_EQ(ParseWeighting("records"), Weighting::kByRecords);
  EXPECT_EQ(ParseWeighting("uniform"), Weighting::kUniform);
  EXPECT_EQ(WeightingName(Weighting::kByRecords), "records");
  EXPECT_EQ(WeightingName(Weighting::kUniform), "uniform");
  EXPECT_EQ(ClientWeight(Weighting::kByRecords, 1234), 1234.0);
  EXPECT_EQ(ClientWeight(Weighting::kUniform, 1234), 1.0);
  try {
    ParseWeighting("Records");
    ADD_FAILURE() << "accepted 'Records'";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "weighting");
    EXPECT_EQ(e.problem(), "got 'Records'; expected one of records, uniform");
  }
}

}  // namespace
}  // namespace fedcrm::fl
