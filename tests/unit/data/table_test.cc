#include "core/data/table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/common/error.h"
#include "core/data/text_hashing.h"

namespace fedcrm::data {
namespace {

FeatureSchema ChurnSchema(const char* plan_unknown = "other") {
  nlohmann::json j = nlohmann::json::parse(R"({
    "label": {"name": "churned", "type": "binary", "positive": "yes", "negative": "no"},
    "features": [
      {"name": "tenure_months", "type": "numeric"},
      {"name": "plan", "type": "categorical", "vocabulary": ["basic", "pro", "enterprise"]},
      {"name": "has_sso", "type": "boolean", "missing": "false"},
      {"name": "ticket_text", "type": "text", "buckets": 8}
    ]})");
  j["features"][1]["unknown"] = plan_unknown;
  return FeatureSchema::FromJson(j, "test");
}

ParsedTable Read(const std::string& csv, const FeatureSchema& schema = ChurnSchema()) {
  std::istringstream in(csv);
  return ReadTable(in, "eu.csv", schema);
}

DataError ReadError(const std::string& csv, const FeatureSchema& schema = ChurnSchema()) {
  try {
    Read(csv, schema);
  } catch (const DataError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a DataError for:\n" << csv;
  return DataError({}, "", "");
}

const char kHeader[] = "customer_id,tenure_months,plan,has_sso,ticket_text,churned,signup_date\n";

TEST(ReadTableTest, ReadsTypedColumnsAndIgnoresExtraColumns) {
  const ParsedTable table = Read(std::string(kHeader) +
                                 "c1,12,pro,yes,\"Login fails, login!\",no,2021-01-01\n"
                                 "c2, 3.5 ,platinum,FALSE,,yes,2021-02-01\n"
                                 "c3,,,,,no,\n");
  EXPECT_EQ(table.source_name, "eu.csv");
  ASSERT_EQ(table.rows(), 3);
  EXPECT_EQ(table.labels, (std::vector<std::int32_t>{0, 1, 0}));
  ASSERT_EQ(table.columns.size(), 4u);

  const ParsedColumn& tenure = table.columns[0];
  EXPECT_EQ(tenure.name, "tenure_months");
  ASSERT_EQ(tenure.numbers.size(), 3u);
  EXPECT_EQ(tenure.numbers[0], 12.0);
  EXPECT_EQ(tenure.numbers[1], 3.5);
  EXPECT_TRUE(std::isnan(tenure.numbers[2]));

  // "platinum" and the empty cell are both unknown: index 3 = "other".
  EXPECT_EQ(table.columns[1].categories, (std::vector<std::int32_t>{1, 3, 3}));
  EXPECT_EQ(table.columns[2].booleans, (std::vector<std::uint8_t>{1, 0, 0}));

  const TextCounts& text = table.columns[3].text;
  const auto expected = HashedTokenCounts("login fails login", 8);
  const auto n = static_cast<std::int64_t>(expected.size());
  EXPECT_EQ(text.row_start, (std::vector<std::int64_t>{0, n, n, n}));
  ASSERT_EQ(text.bucket.size(), expected.size());
  std::int32_t total = 0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(text.bucket[k], expected[k].first);
    EXPECT_EQ(text.count[k], expected[k].second);
    total += text.count[k];
  }
  EXPECT_EQ(total, 3);
}

TEST(ReadTableTest, AcceptsBomCrlfAndNoFinalNewline) {
  const ParsedTable table = Read(
      "\xEF\xBB\xBF"
      "churned,plan,tenure_months,ticket_text,has_sso\r\n"
      "yes,basic,1,\"multi\r\nline\",1\r\n"
      "no,enterprise,2,,0");
  ASSERT_EQ(table.rows(), 2);
  EXPECT_EQ(table.labels, (std::vector<std::int32_t>{1, 0}));
  EXPECT_EQ(table.columns[1].categories, (std::vector<std::int32_t>{0, 2}));
  EXPECT_EQ(table.columns[0].numbers, (std::vector<double>{1.0, 2.0}));
}

TEST(ReadTableTest, HeaderOnlyGivesEmptyTable) {
  const ParsedTable table = Read(kHeader);
  EXPECT_EQ(table.rows(), 0);
  EXPECT_EQ(table.columns.size(), 4u);
  EXPECT_EQ(table.columns[3].text.row_start, (std::vector<std::int64_t>{0}));
}

TEST(ReadTableTest, Log1pTransformIsAppliedWhenRead) {
  const FeatureSchema schema = FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "y", "type": "binary", "positive": "1", "negative": "0"},
    "features": [{"name": "spend", "type": "numeric", "transform": "log1p"}]})"),
                                                       "t");
  const ParsedTable table = Read("spend,y\n0,1\n99,0\n", schema);
  EXPECT_EQ(table.columns[0].numbers[0], 0.0);
  EXPECT_DOUBLE_EQ(table.columns[0].numbers[1], std::log(100.0));

  const DataError e = ReadError("spend,y\n-1,1\n", schema);
  EXPECT_EQ(e.position().line, 2);
  EXPECT_EQ(e.value(), "-1");
  EXPECT_NE(e.expected().find("greater than -1"), std::string::npos);
}

TEST(ReadTableTest, EmptyFileExpectsHeader) {
  for (const char* csv : {"", "\n\n", "\xEF\xBB\xBF"}) {
    const DataError e = ReadError(csv);
    EXPECT_EQ(e.position().file, "eu.csv");
    EXPECT_EQ(e.position().line, 1);
    EXPECT_EQ(e.expected(), "expected a header row");
    EXPECT_STREQ(e.what(), "eu.csv:1: expected a header row");
  }
}

TEST(ReadTableTest, MissingLabelColumn) {
  const DataError e =
      ReadError("customer_id,tenure_months,plan,has_sso,ticket_text\n1,2,pro,1,x\n");
  EXPECT_EQ(e.position().line, 1);
  EXPECT_STREQ(e.what(),
               "eu.csv:1: expected a column 'churned' (the label) in the header; found: "
               "customer_id, tenure_months, plan, has_sso, ticket_text");
}

TEST(ReadTableTest, MissingFeatureColumn) {
  const DataError e = ReadError("tenure_months,has_sso,ticket_text,churned\n");
  EXPECT_EQ(e.position().line, 1);
  EXPECT_NE(e.expected().find("expected a column 'plan' (a schema feature)"), std::string::npos);
}

TEST(ReadTableTest, DuplicateSchemaColumnInHeader) {
  const DataError e = ReadError("plan,tenure_months,plan,has_sso,ticket_text,churned\n");
  EXPECT_EQ(e.position().line, 1);
  EXPECT_EQ(e.position().column, 3);
  EXPECT_NE(e.expected().find("only once"), std::string::npos);
}

TEST(ReadTableTest, WrongColumnCount) {
  DataError e = ReadError(std::string(kHeader) + "c1,12,pro,yes,x,no,2021\nc2,12,pro\n");
  EXPECT_EQ(e.position().line, 3);
  EXPECT_EQ(e.position().column, 4);
  EXPECT_EQ(e.position().column_name, "has_sso");
  EXPECT_STREQ(e.what(),
               "eu.csv:3:4 (column 'has_sso'): expected 7 fields as in the header, found 3");

  e = ReadError(std::string(kHeader) + "c1,12,pro,yes,x,no,2021,extra\n");
  EXPECT_EQ(e.position().line, 2);
  EXPECT_EQ(e.position().column, 8);
  EXPECT_EQ(e.value(), "extra");
  EXPECT_EQ(e.expected(), "expected 7 fields as in the header, found 8");
}

TEST(ReadTableTest, NonNumberInNumericColumn) {
  const DataError e =
      ReadError(std::string(kHeader) + "c1,12,pro,yes,x,no,d\nc2,twelve,pro,yes,x,no,d\n");
  EXPECT_EQ(e.position().file, "eu.csv");
  EXPECT_EQ(e.position().line, 3);
  EXPECT_EQ(e.position().column, 2);
  EXPECT_EQ(e.position().column_name, "tenure_months");
  EXPECT_EQ(e.value(), "twelve");
  EXPECT_STREQ(e.what(), "eu.csv:3:2 (column 'tenure_months'): value 'twelve': expected a number");
}

TEST(ReadTableTest, NonFiniteNumbersAreRejected) {
  for (const char* bad : {"nan", "inf", "1e999", "0x10", "1,5", "--1"}) {
    const DataError e = ReadError(std::string(kHeader) + "c1,\"" + bad + "\",pro,yes,x,no,d\n");
    EXPECT_EQ(e.expected(), "expected a number") << bad;
  }
}

TEST(ReadTableTest, MissingNumberUnderPolicyError) {
  const FeatureSchema schema = FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "y", "type": "binary", "positive": "1", "negative": "0"},
    "features": [{"name": "n", "type": "numeric", "missing": "error"}]})"),
                                                       "t");
  const DataError e = ReadError("y,n\n1, \n", schema);
  EXPECT_EQ(e.position().column, 2);
  EXPECT_NE(e.expected().find("the cell is empty and this feature has missing: error"),
            std::string::npos);
}

TEST(ReadTableTest, UnknownCategoryUnderPolicyError) {
  const DataError e =
      ReadError(std::string(kHeader) + "c1,12,platinum,yes,x,no,d\n", ChurnSchema("error"));
  EXPECT_EQ(e.position().line, 2);
  EXPECT_EQ(e.position().column, 3);
  EXPECT_EQ(e.position().column_name, "plan");
  EXPECT_EQ(e.value(), "platinum");
  EXPECT_STREQ(e.what(),
               "eu.csv:2:3 (column 'plan'): value 'platinum': expected one of basic, pro, "
               "enterprise");

  const DataError empty =
      ReadError(std::string(kHeader) + "c1,12,,yes,x,no,d\n", ChurnSchema("error"));
  EXPECT_NE(empty.expected().find("the cell is empty"), std::string::npos);
}

TEST(ReadTableTest, BadBoolean) {
  const DataError e = ReadError(std::string(kHeader) + "c1,12,pro,maybe,x,no,d\n");
  EXPECT_EQ(e.position().column, 4);
  EXPECT_EQ(e.value(), "maybe");
  EXPECT_EQ(e.expected(), "expected a boolean: true, false, yes, no, 1 or 0");
}

TEST(ReadTableTest, EmptyBooleanUnderPolicyError) {
  const FeatureSchema schema = FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "y", "type": "binary", "positive": "1", "negative": "0"},
    "features": [{"name": "b", "type": "boolean"}]})"),
                                                       "t");
  EXPECT_EQ(Read("b,y\nYes,1\nno,0\n", schema).columns[0].booleans,
            (std::vector<std::uint8_t>{1, 0}));
  const DataError e = ReadError("b,y\n,1\n", schema);
  EXPECT_NE(e.expected().find("missing: error"), std::string::npos);
}

TEST(ReadTableTest, UnknownLabelValue) {
  const DataError e = ReadError(std::string(kHeader) + "c1,12,pro,yes,x,maybe,d\n");
  EXPECT_EQ(e.position().column, 6);
  EXPECT_EQ(e.position().column_name, "churned");
  EXPECT_STREQ(e.what(),
               "eu.csv:2:6 (column 'churned'): value 'maybe': expected one of no, yes (the "
               "classes of label 'churned')");
}

TEST(ReadTableTest, ErrorLineIsRecordStartAfterMultilineField) {
  const DataError e = ReadError(std::string(kHeader) +
                                "c1,1,pro,yes,\"a\nb\nc\",no,d\n"
                                "c2,x,pro,yes,t,no,d\n");
  EXPECT_EQ(e.position().line, 5);
}

TEST(ReadTableTest, CsvSyntaxErrorsPropagate) {
  const DataError e = ReadError(std::string(kHeader) + "c1,1,pro,yes,\"open,no,d\n");
  EXPECT_EQ(e.position().line, 2);
  EXPECT_EQ(e.position().column, 5);
  EXPECT_NE(e.expected().find("closing quote"), std::string::npos);
}

TEST(ReadTableTest, StatisticsSkipMissingValues) {
  const FeatureStatistics stats =
      Read(std::string(kHeader) + "c1,2,pro,1,,no,\nc2,,pro,1,,no,\nc3,4,pro,1,,no,\n")
          .Statistics();
  ASSERT_EQ(stats.size(), 1);
  EXPECT_EQ(stats.names()[0], "tenure_months");
  EXPECT_EQ(stats.Count(0), 2);
  EXPECT_EQ(stats.Sum(0), 6.0);
  EXPECT_EQ(stats.SumOfSquares(0), 20.0);
}

TEST(ReadTableFileTest, NamesThePath) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("fedcrm_table_test_" + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << kHeader << "c1,1,pro,yes,x,no,d\nc2,bad,pro,yes,x,no,d\n";
  }
  try {
    ReadTableFile(path.string(), ChurnSchema());
    ADD_FAILURE() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(e.position().file, path.string());
    EXPECT_EQ(e.position().line, 3);
  }
  { std::ofstream out(path, std::ios::binary | std::ios::trunc); }
  try {
    ReadTableFile(path.string(), ChurnSchema());
    ADD_FAILURE() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ":1: expected a header row");
  }
  std::filesystem::remove(path);
  EXPECT_THROW(ReadTableFile(path.string(), ChurnSchema()), ConfigError);
  EXPECT_THROW(ReadTableFile(std::filesystem::temp_directory_path().string(), ChurnSchema()),
               ConfigError);
}

}  // namespace
}  // namespace fedcrm::data

namespace fedcrm::data {
namespace {

TEST(ParsedTableSubsetTest, KeepsTheChosenRowsOfEveryColumnInOrder) {
  const ParsedTable table = Read(std::string(kHeader) +
                                 "1,10,basic,yes,login broken,yes,2024-01-01\n"
                                 "2,20,pro,no,,no,2024-01-02\n"
                                 "3,30,enterprise,yes,refund refund please,no,2024-01-03\n");
  const ParsedTable subset = table.Subset({2, 0});
  ASSERT_EQ(subset.rows(), 2);
  EXPECT_EQ(subset.labels, (std::vector<std::int32_t>{table.labels[2], table.labels[0]}));
  ASSERT_EQ(subset.columns.size(), table.columns.size());
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    const ParsedColumn& column = table.columns[c];
    if (column.type == FeatureType::kNumeric) {
      EXPECT_EQ(subset.columns[c].numbers,
                (std::vector<double>{column.numbers[2], column.numbers[0]}));
    }
  }
  // Selecting every row in order reproduces the table exactly, text included.
  const ParsedTable all = table.Subset({0, 1, 2});
  EXPECT_EQ(all.columns, table.columns);
  EXPECT_EQ(all.labels, table.labels);
  // Statistics of a subset cover only its rows.
  EXPECT_EQ(table.Subset({1}).Statistics().Count(0), 1);
}

}  // namespace
}  // namespace fedcrm::data
