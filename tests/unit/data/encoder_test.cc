#include "core/data/encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/common/error.h"
#include "core/data/text_hashing.h"

namespace fedcrm::data {
namespace {

FeatureSchema ChurnSchema() {
  return FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "churned", "type": "binary", "positive": "yes", "negative": "no"},
    "features": [
      {"name": "tenure", "type": "numeric", "missing": "mean"},
      {"name": "plan", "type": "categorical", "vocabulary": ["basic", "pro"]},
      {"name": "spend", "type": "numeric", "missing": "zero"},
      {"name": "has_sso", "type": "boolean", "missing": "false"},
      {"name": "notes", "type": "text", "buckets": 4}
    ]})"),
                                 "test");
}

ParsedTable Read(const std::string& csv, const FeatureSchema& schema = ChurnSchema()) {
  std::istringstream in(csv);
  return ReadTable(in, "mem.csv", schema);
}

const char kHeader[] = "tenure,plan,spend,has_sso,notes,churned\n";

TEST(EncoderTest, WidthAndNamesFromSchemaAlone) {
  const FeatureSchema schema = ChurnSchema();
  EXPECT_EQ(EncodedWidth(schema), 1 + 3 + 1 + 1 + 4);
  EXPECT_EQ(EncodedFeatureNames(schema),
            (std::vector<std::string>{"tenure", "plan=basic", "plan=pro", "plan=<other>", "spend",
                                      "has_sso", "notes#0", "notes#1", "notes#2", "notes#3"}));
}

TEST(EncoderTest, StandardizesWithFederationStatistics) {
  // Silo A alone has tenure mean 2; the federation (A + B) has mean 5.
  const ParsedTable silo_a = Read(std::string(kHeader) + "1,basic,10,yes,,no\n3,pro,20,no,,yes\n");
  const ParsedTable silo_b = Read(std::string(kHeader) + "8,basic,30,no,,no\n8,gold,40,no,,no\n");
  FeatureStatistics federation = silo_a.Statistics();
  federation += silo_b.Statistics();
  ASSERT_DOUBLE_EQ(federation.Mean(0), 5.0);
  const double tenure_std = std::sqrt((16.0 + 4.0 + 9.0 + 9.0) / 4.0);
  ASSERT_DOUBLE_EQ(federation.StdDev(0), tenure_std);
  const double spend_std = std::sqrt((225.0 + 25.0 + 25.0 + 225.0) / 4.0);

  const Dataset encoded = Encode(silo_a, ChurnSchema(), federation);
  ASSERT_EQ(encoded.rows(), 2);
  ASSERT_EQ(encoded.cols(), 10);
  EXPECT_DOUBLE_EQ(encoded.x(0, 0), (1.0 - 5.0) / tenure_std);
  EXPECT_DOUBLE_EQ(encoded.x(1, 0), (3.0 - 5.0) / tenure_std);
  EXPECT_DOUBLE_EQ(encoded.x(0, 4), (10.0 - 25.0) / spend_std);
  EXPECT_DOUBLE_EQ(encoded.x(1, 4), (20.0 - 25.0) / spend_std);

  // Over the whole federation each numeric column has mean 0 and std 1.
  const Dataset encoded_b = Encode(silo_b, ChurnSchema(), federation);
  for (Eigen::Index c : {0, 4}) {
    Eigen::VectorXd all(4);
    all << encoded.x.col(c), encoded_b.x.col(c);
    EXPECT_NEAR(all.mean(), 0.0, 1e-12);
    EXPECT_NEAR(std::sqrt(all.array().square().mean()), 1.0, 1e-12);
  }
}

TEST(EncoderTest, OneHotBooleanLabelsAndClassNames) {
  const ParsedTable table =
      Read(std::string(kHeader) + "1,basic,1,yes,,no\n2,pro,1,0,,yes\n3,gold,1,,,no\n");
  const Dataset d = Encode(table, ChurnSchema(), table.Statistics());
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(d.y, (Eigen::VectorXi(3) << 0, 1, 0).finished());
  Eigen::MatrixXd one_hot(3, 3);
  one_hot << 1, 0, 0,  //
      0, 1, 0,         //
      0, 0, 1;
  EXPECT_EQ(d.x.middleCols(1, 3), one_hot);
  EXPECT_EQ(d.x.col(5), (Eigen::VectorXd(3) << 1, 0, 0).finished());
  // spend is constant: std 1, so it encodes to exactly 0.
  EXPECT_EQ(d.x.col(4), Eigen::VectorXd::Zero(3));
  EXPECT_EQ(d.feature_names.size(), 10u);
}

TEST(EncoderTest, MissingNumericPolicies) {
  const ParsedTable table =
      Read(std::string(kHeader) + "2,basic,4,1,,no\n4,basic,8,1,,no\n,basic,,1,,no\n");
  const FeatureStatistics stats = table.Statistics();
  const Dataset d = Encode(table, ChurnSchema(), stats);
  EXPECT_EQ(d.x(2, 0), 0.0);                       // missing: mean -> the federation mean -> 0
  EXPECT_DOUBLE_EQ(d.x(2, 4), (0.0 - 6.0) / 2.0);  // missing: zero -> raw 0 standardized
}

TEST(EncoderTest, TextIsLogScaledHashedCounts) {
  const ParsedTable table =
      Read(std::string(kHeader) + "1,basic,1,1,\"Refund refund REFUND please\",no\n");
  const Dataset d = Encode(table, ChurnSchema(), table.Statistics());
  Eigen::VectorXd expected = Eigen::VectorXd::Zero(4);
  for (const auto& [bucket, count] : HashedTokenCounts("refund refund refund please", 4)) {
    expected(bucket) = std::log1p(static_cast<double>(count));
  }
  EXPECT_EQ(Eigen::VectorXd(d.x.row(0).segment(6, 4).transpose()), expected);
  EXPECT_GE(expected.maxCoeff(), std::log1p(3.0));
}

TEST(EncoderTest, MulticlassLabels) {
  const FeatureSchema schema = FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "r", "type": "multiclass", "classes": ["a", "b", "c"]},
    "features": [{"name": "n", "type": "numeric"}]})"),
                                                       "t");
  const ParsedTable table = Read("n,r\n1,c\n2,a\n3,b\n", schema);
  const Dataset d = Encode(table, schema, table.Statistics());
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(d.y, (Eigen::VectorXi(3) << 2, 0, 1).finished());
}

TEST(EncoderTest, EmptyTableEncodesToZeroRows) {
  const ParsedTable table = Read(kHeader);
  const Dataset d = Encode(table, ChurnSchema(), table.Statistics());
  EXPECT_EQ(d.rows(), 0);
  EXPECT_EQ(d.cols(), 10);
}

TEST(EncoderTest, RejectsMismatchedStatisticsOrSchema) {
  const ParsedTable table = Read(std::string(kHeader) + "1,basic,1,1,,no\n");
  EXPECT_THROW(Encode(table, ChurnSchema(), FeatureStatistics({"tenure"})), ConfigError);
  const FeatureSchema other = FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "churned", "type": "binary", "positive": "yes", "negative": "no"},
    "features": [{"name": "tenure", "type": "numeric"}, {"name": "spend", "type": "numeric"}]})"),
                                                      "t");
  EXPECT_THROW(Encode(table, other, table.Statistics()), ConfigError);
}

}  // namespace
}  // namespace fedcrm::data
