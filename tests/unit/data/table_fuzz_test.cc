// Random input must either parse or fail with fedcrm::DataError; anything
// else (another exception, a crash, a sanitizer report) is a bug.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/data/csv_reader.h"
#include "core/data/encoder.h"
#include "core/data/table.h"

namespace fedcrm::data {
namespace {

// Bytes weighted toward CSV structure, so the parser's states are all
// reached instead of failing on the first byte.
std::string RandomText(std::mt19937_64& rng, std::size_t max_size) {
  static const std::string kAlphabet = "\",\r\n \t01.-+eE9xyesnoXYbasicpro\xEF\xBB\xBF";
  std::uniform_int_distribution<std::size_t> size(0, max_size);
  std::uniform_int_distribution<int> pick(0, 9);
  std::uniform_int_distribution<std::size_t> symbol(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string text(size(rng), '\0');
  for (char& c : text) {
    c = pick(rng) == 0 ? static_cast<char>(byte(rng)) : kAlphabet[symbol(rng)];
  }
  return text;
}

// Rows of five cells that are mostly valid for Schema(), so that whole tables
// parse and reach the encoder; a few cells are random text.
std::string RandomRows(std::mt19937_64& rng) {
  static const std::vector<std::vector<std::string>> kValid = {
      {"0", "1.5", "-0.5", "1e3", "", " 7 "},
      {"basic", "pro", "gold", "", " pro"},
      {"yes", "NO", "1", "0", "", "True"},
      {"", "hello world", "Refund, please!", "a\nb", "caf\xC3\xA9"},
      {"yes", "no"}};
  std::uniform_int_distribution<int> rows(0, 6);
  std::uniform_int_distribution<int> pick(0, 19);
  std::string text;
  for (int r = rows(rng); r > 0; --r) {
    for (std::size_t c = 0; c < kValid.size(); ++c) {
      const auto& pool = kValid[c];
      std::string cell = pick(rng) == 0 ? RandomText(rng, 8)
                                        : pool[static_cast<std::size_t>(pick(rng)) % pool.size()];
      if (pick(rng) < 5) {
        std::string quoted = "\"";
        for (char ch : cell) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        cell = quoted + "\"";
      }
      text += (c > 0 ? "," : "") + cell;
    }
    text += pick(rng) < 10 ? "\n" : "\r\n";
  }
  return text;
}

FeatureSchema Schema() {
  return FeatureSchema::FromJson(nlohmann::json::parse(R"({
    "label": {"name": "y", "type": "binary", "positive": "yes", "negative": "no"},
    "features": [
      {"name": "n", "type": "numeric", "transform": "log1p"},
      {"name": "c", "type": "categorical", "vocabulary": ["basic", "pro"]},
      {"name": "b", "type": "boolean", "missing": "false"},
      {"name": "t", "type": "text", "buckets": 3}
    ]})"),
                                 "fuzz");
}

TEST(TableFuzzTest, RandomBytesParseOrThrowDataError) {
  const FeatureSchema schema = Schema();
  std::mt19937_64 rng(20240611);
  int parsed = 0;
  int rejected = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    // A third raw bytes, a third a valid header and random bytes, a third a
    // valid header and plausible rows.
    std::string text;
    switch (iteration % 3) {
      case 0:
        text = RandomText(rng, 200);
        break;
      case 1:
        text = "n,c,b,t,y\n" + RandomText(rng, 200);
        break;
      default:
        text = "n,c,b,t,y\n" + RandomRows(rng);
        break;
    }
    std::istringstream in(text);
    try {
      const ParsedTable table = ReadTable(in, "fuzz.csv", schema);
      const Dataset d = Encode(table, schema, table.Statistics());
      ASSERT_EQ(d.rows(), table.rows());
      ASSERT_TRUE(d.x.allFinite());
      ++parsed;
    } catch (const DataError& e) {
      ASSERT_EQ(e.position().file, "fuzz.csv");
      ASSERT_GE(e.position().line, 1);
      ++rejected;
    } catch (const std::exception& e) {
      FAIL() << "unexpected exception " << e.what() << " for input of " << text.size()
             << " bytes at iteration " << iteration;
    }
  }
  // Both outcomes must be common, or the test is not exploring.
  EXPECT_GT(parsed, 100);
  EXPECT_GT(rejected, 100);
}

TEST(TableFuzzTest, ReaderNeverFailsOtherwise) {
  std::mt19937_64 rng(7);
  CsvLimits limits;
  limits.max_field_bytes = 16;
  limits.max_record_bytes = 64;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::istringstream in(RandomText(rng, 300));
    CsvReader reader(in, "fuzz.csv", limits);
    CsvRecord record;
    std::int64_t last_line = 0;
    try {
      while (reader.Next(&record)) {
        ASSERT_GT(record.line, last_line);
        ASSERT_FALSE(record.fields.empty());
        for (const std::string& field : record.fields) ASSERT_LE(field.size(), 16u);
        last_line = record.line;
      }
    } catch (const DataError& e) {
      ASSERT_GE(e.position().line, 1);
      ASSERT_GE(e.position().column, 1);
    }
  }
}

}  // namespace
}  // namespace fedcrm::data
