#include "core/data/feature_statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/common/error.h"
#include "core/data/table.h"

namespace fedcrm::data {
namespace {

FeatureSchema Schema() {
  return FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "y", "type": "binary", "positive": "1", "negative": "0"},
    "features": [
      {"name": "a", "type": "numeric"},
      {"name": "c", "type": "categorical", "vocabulary": ["x", "y"]},
      {"name": "b", "type": "numeric", "transform": "log1p"}
    ]})"),
                                 "test");
}

ParsedTable Read(const std::string& csv) {
  std::istringstream in(csv);
  return ReadTable(in, "mem.csv", Schema());
}

TEST(FeatureStatisticsTest, MeanAndPopulationStdDev) {
  FeatureStatistics stats({"a"});
  for (double v : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) stats.Add(0, v);
  EXPECT_EQ(stats.Count(0), 8);
  EXPECT_DOUBLE_EQ(stats.Mean(0), 5.0);
  EXPECT_DOUBLE_EQ(stats.StdDev(0), 2.0);
}

TEST(FeatureStatisticsTest, DegenerateFeaturesGetUnitStdDev) {
  FeatureStatistics stats({"empty", "constant", "big_constant"});
  for (int i = 0; i < 10; ++i) {
    stats.Add(1, 3.0);
    stats.Add(2, 1e6 + 0.1);
  }
  EXPECT_EQ(stats.Mean(0), 0.0);
  EXPECT_EQ(stats.StdDev(0), 1.0);
  EXPECT_DOUBLE_EQ(stats.Mean(1), 3.0);
  EXPECT_EQ(stats.StdDev(1), 1.0);
  EXPECT_EQ(stats.StdDev(2), 1.0);
}

TEST(FeatureStatisticsTest, SummedTablesEqualTheirConcatenation) {
  const std::string header = "id,a,c,b,y\n";
  const std::string rows1 = "1,1.5,x,0,1\n2,,y,3,0\n3,-2,x,,1\n";
  const std::string rows2 = "4,10,x,7,0\n5,0.25,y,1,1\n";
  FeatureStatistics sum = Read(header + rows1).Statistics();
  sum += Read(header + rows2).Statistics();
  const FeatureStatistics whole = Read(header + rows1 + rows2).Statistics();

  EXPECT_EQ(sum.names(), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(whole.size(), 2);
  for (Eigen::Index i = 0; i < 2; ++i) {
    EXPECT_EQ(sum.Count(i), whole.Count(i));
    EXPECT_DOUBLE_EQ(sum.Sum(i), whole.Sum(i));
    EXPECT_DOUBLE_EQ(sum.SumOfSquares(i), whole.SumOfSquares(i));
    EXPECT_DOUBLE_EQ(sum.Mean(i), whole.Mean(i));
    EXPECT_DOUBLE_EQ(sum.StdDev(i), whole.StdDev(i));
  }
  EXPECT_EQ(whole.Count(0), 4);
  EXPECT_EQ(whole.Count(1), 4);
  EXPECT_DOUBLE_EQ(whole.Sum(0), 9.75);
  EXPECT_DOUBLE_EQ(whole.Sum(1), std::log(4.0) + std::log(8.0) + std::log(2.0));
}

TEST(FeatureStatisticsTest, MergeRejectsDifferentFeatures) {
  FeatureStatistics a({"a", "b"});
  const FeatureStatistics b({"a", "c"});
  try {
    a.Merge(b);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("[a, c]"), std::string::npos) << e.what();
  }
}

TEST(FeatureStatisticsTest, VectorLayoutAndRoundTrip) {
  FeatureStatistics stats({"a", "b"});
  stats.Add(0, 2.0);
  stats.Add(0, 3.0);
  stats.Add(1, -1.0);
  const Eigen::VectorXd v = stats.ToVector();
  ASSERT_EQ(v.size(), 6);
  EXPECT_EQ(v(0), 2.0);   // count a
  EXPECT_EQ(v(1), 1.0);   // count b
  EXPECT_EQ(v(2), 5.0);   // sum a
  EXPECT_EQ(v(3), -1.0);  // sum b
  EXPECT_EQ(v(4), 13.0);  // sumsq a
  EXPECT_EQ(v(5), 1.0);   // sumsq b
  EXPECT_EQ(FeatureStatistics::FromVector(stats.names(), v), stats);
}

TEST(FeatureStatisticsTest, SummedVectorsEqualMergedStatistics) {
  FeatureStatistics a({"x"});
  FeatureStatistics b({"x"});
  a.Add(0, 1.0);
  b.Add(0, 2.0);
  b.Add(0, 4.0);
  FeatureStatistics merged = a;
  merged += b;
  EXPECT_EQ(FeatureStatistics::FromVector({"x"}, a.ToVector() + b.ToVector()), merged);
}

TEST(FeatureStatisticsTest, FromVectorRoundsCountsAndValidates) {
  Eigen::VectorXd v(3);
  v << 4.0000001, 10.0, 30.0;
  EXPECT_EQ(FeatureStatistics::FromVector({"x"}, v).Count(0), 4);

  EXPECT_THROW(FeatureStatistics::FromVector({"x", "y"}, v), ConfigError);
  v(0) = -3.0;
  EXPECT_THROW(FeatureStatistics::FromVector({"x"}, v), ConfigError);
  v(0) = std::nan("");
  EXPECT_THROW(FeatureStatistics::FromVector({"x"}, v), ConfigError);
  v(0) = 1.0;
  v(2) = INFINITY;
  EXPECT_THROW(FeatureStatistics::FromVector({"x"}, v), ConfigError);
}

TEST(FeatureStatisticsTest, JsonRoundTrip) {
  FeatureStatistics stats({"a", "b"});
  stats.Add(0, 0.1);
  stats.Add(1, 1e10);
  const nlohmann::json j = stats.ToJson();
  EXPECT_EQ(j["features"][1]["name"], "b");
  EXPECT_EQ(j["features"][0]["count"], 1);
  EXPECT_EQ(FeatureStatistics::FromJson(j, "card"), stats);
  EXPECT_EQ(FeatureStatistics::FromJson(nlohmann::json::parse(j.dump()), "card"), stats);
}

TEST(FeatureStatisticsTest, FromJsonRejectsBadDocuments) {
  nlohmann::json j = FeatureStatistics({"a"}).ToJson();
  j["features"][0]["count"] = -1;
  try {
    FeatureStatistics::FromJson(j, "model card: statistics");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "model card: statistics.features[0].count");
  }
  j["features"][0]["count"] = 1.5;
  EXPECT_THROW(FeatureStatistics::FromJson(j, "x"), ConfigError);
  j["features"][0]["count"] = 1;
  j["features"][0].erase("sum");
  EXPECT_THROW(FeatureStatistics::FromJson(j, "x"), ConfigError);
  EXPECT_THROW(FeatureStatistics::FromJson(nlohmann::json::array(), "x"), ConfigError);
  EXPECT_THROW(
      FeatureStatistics::FromJson(nlohmann::json::parse(R"({"features": [{"count": 1}]})"), "x"),
      ConfigError);
}

}  // namespace
}  // namespace fedcrm::data
