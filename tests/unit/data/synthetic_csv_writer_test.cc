#include <gtest/gtest.h>

#include <sstream>

#include "core/data/synthetic/csv_writer.h"

namespace fedcrm::data::synthetic {
namespace {

TEST(SyntheticCsvWriterTest, QuotesOnlyFieldsThatNeedIt) {
  EXPECT_EQ(CsvWriter::Escape("plain"), "plain");
  EXPECT_EQ(CsvWriter::Escape(""), "");
  EXPECT_EQ(CsvWriter::Escape("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvWriter::Escape("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvWriter::Escape("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvWriter::Escape("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvWriter::Escape(" padded"), "\" padded\"");
  EXPECT_EQ(CsvWriter::Escape("inner space"), "inner space");
}

TEST(SyntheticCsvWriterTest, WritesRecordsWithCrlf) {
  std::ostringstream out;
  CsvWriter writer(out);
  writer.WriteRecord({"id", "text", "label"});
  writer.WriteRecord({"1", "slow, \"E42\"", ""});
  EXPECT_EQ(out.str(), "id,text,label\r\n1,\"slow, \"\"E42\"\"\",\r\n");
}

TEST(SyntheticCsvWriterTest, FormatsFixedWithoutNegativeZero) {
  EXPECT_EQ(FormatFixed(0.1234, 3), "0.123");
  EXPECT_EQ(FormatFixed(-0.1236, 3), "-0.124");
  EXPECT_EQ(FormatFixed(-0.0001, 3), "0.000");
  EXPECT_EQ(FormatFixed(-0.0, 1), "0.0");
  EXPECT_EQ(FormatFixed(12.0, 1), "12.0");
  EXPECT_EQ(FormatFixed(7.6, 0), "8");
}

}  // namespace
}  // namespace fedcrm::data::synthetic
