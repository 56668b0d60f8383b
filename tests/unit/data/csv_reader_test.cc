#include "core/data/csv_reader.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/common/error.h"

namespace fedcrm::data {
namespace {

using Fields = std::vector<std::string>;

struct Parsed {
  std::vector<Fields> records;
  std::vector<std::int64_t> lines;
};

Parsed ReadAll(const std::string& text, CsvLimits limits = {}) {
  std::istringstream in(text);
  CsvReader reader(in, "mem.csv", limits);
  Parsed parsed;
  CsvRecord record;
  while (reader.Next(&record)) {
    parsed.records.push_back(record.fields);
    parsed.lines.push_back(record.line);
  }
  return parsed;
}

DataError ReadError(const std::string& text, CsvLimits limits = {}) {
  try {
    ReadAll(text, limits);
  } catch (const DataError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a DataError for: " << text.substr(0, 80);
  return DataError({}, "", "");
}

TEST(CsvReaderTest, PlainRecordsWithAndWithoutFinalNewline) {
  EXPECT_EQ(ReadAll("a,b\n1,2\n").records, (std::vector<Fields>{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(ReadAll("a,b\n1,2").records, (std::vector<Fields>{{"a", "b"}, {"1", "2"}}));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) {
  EXPECT_TRUE(ReadAll("").records.empty());
  EXPECT_TRUE(ReadAll("\n\r\n").records.empty());
  EXPECT_TRUE(ReadAll("\xEF\xBB\xBF").records.empty());
}

TEST(CsvReaderTest, NextLeavesRecordEmptyAtEnd) {
  std::istringstream in("x\n");
  CsvReader reader(in, "mem.csv");
  CsvRecord record;
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_FALSE(reader.Next(&record));
  EXPECT_TRUE(record.fields.empty());
  EXPECT_FALSE(reader.Next(&record));
}

TEST(CsvReaderTest, EmptyFields) {
  EXPECT_EQ(ReadAll("a,,c\n,,\n,x,\n").records,
            (std::vector<Fields>{{"a", "", "c"}, {"", "", ""}, {"", "x", ""}}));
  EXPECT_EQ(ReadAll("\"\",b\n").records, (std::vector<Fields>{{"", "b"}}));
}

TEST(CsvReaderTest, QuotedFieldsWithDoubledQuotesAndCommas) {
  const Parsed parsed = ReadAll("name,note\n\"Smith, Jane\",\"said \"\"hi\"\"\"\n");
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_EQ(parsed.records[1], (Fields{"Smith, Jane", "said \"hi\""}));
}

TEST(CsvReaderTest, EmbeddedNewlinesKeepPhysicalLineNumbers) {
  const Parsed parsed = ReadAll("id,text\n1,\"line one\nline two\n\"\n2,plain\n");
  ASSERT_EQ(parsed.records.size(), 3u);
  EXPECT_EQ(parsed.records[1], (Fields{"1", "line one\nline two\n"}));
  EXPECT_EQ(parsed.records[2], (Fields{"2", "plain"}));
  EXPECT_EQ(parsed.lines, (std::vector<std::int64_t>{1, 2, 5}));
}

TEST(CsvReaderTest, CrlfLineBreaks) {
  const Parsed parsed = ReadAll("a,b\r\n1,\"x\r\ny\"\r\n2,3\r\n");
  ASSERT_EQ(parsed.records.size(), 3u);
  EXPECT_EQ(parsed.records[0], (Fields{"a", "b"}));
  EXPECT_EQ(parsed.records[1], (Fields{"1", "x\r\ny"}));
  EXPECT_EQ(parsed.records[2], (Fields{"2", "3"}));
  EXPECT_EQ(parsed.lines, (std::vector<std::int64_t>{1, 2, 4}));
}

TEST(CsvReaderTest, LoneCarriageReturnEndsALine) {
  const Parsed parsed = ReadAll("a\rb\r");
  EXPECT_EQ(parsed.records, (std::vector<Fields>{{"a"}, {"b"}}));
  EXPECT_EQ(parsed.lines, (std::vector<std::int64_t>{1, 2}));
}

TEST(CsvReaderTest, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBFid,plan\n").records, (std::vector<Fields>{{"id", "plan"}}));
  EXPECT_EQ(ReadAll("\xEF\xBB\xBF\"id\"\n").records, (std::vector<Fields>{{"id"}}));
}

TEST(CsvReaderTest, PartialByteOrderMarkIsData) {
  EXPECT_EQ(ReadAll("\xEF\xBBx,y\n").records, (std::vector<Fields>{{"\xEF\xBBx", "y"}}));
  EXPECT_EQ(ReadAll("\xEF").records, (std::vector<Fields>{{"\xEF"}}));
}

TEST(CsvReaderTest, ByteOrderMarkOnlyAtStart) {
  EXPECT_EQ(ReadAll("a\n\xEF\xBB\xBF"
                    "b\n")
                .records,
            (std::vector<Fields>{{"a"},
                                 {"\xEF\xBB\xBF"
                                  "b"}}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  const Parsed parsed = ReadAll("a\n\n\nb\n\n");
  EXPECT_EQ(parsed.records, (std::vector<Fields>{{"a"}, {"b"}}));
  EXPECT_EQ(parsed.lines, (std::vector<std::int64_t>{1, 4}));
}

TEST(CsvReaderTest, QuoteInsideUnquotedFieldIsData) {
  EXPECT_EQ(ReadAll("5\" screen,x\n").records, (std::vector<Fields>{{"5\" screen", "x"}}));
}

TEST(CsvReaderTest, UnterminatedQuoteReportsLineWhereItOpened) {
  const DataError e = ReadError("a,b\n1,2\n3,\"never closed\n4,5\n6,7\n");
  EXPECT_EQ(e.position().file, "mem.csv");
  EXPECT_EQ(e.position().line, 3);
  EXPECT_EQ(e.position().column, 2);
  EXPECT_EQ(e.value(), "never closed\\x0A4,5\\x0A6,7\\x0A");
  EXPECT_NE(e.expected().find("closing quote"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("mem.csv:3:2"), std::string::npos) << e.what();
}

TEST(CsvReaderTest, CharacterAfterClosingQuote) {
  const DataError e = ReadError("a,b\n\"ok\",\"bad\"x\n");
  EXPECT_EQ(e.position().line, 2);
  EXPECT_EQ(e.position().column, 2);
  EXPECT_EQ(e.value(), "x");
  EXPECT_NE(e.expected().find("after the closing quote"), std::string::npos);
  EXPECT_STREQ(e.what(),
               "mem.csv:2:2: value 'x': expected ',' or a line break after the closing quote "
               "of a quoted field (a quote inside a quoted field is written twice: \"\")");
}

TEST(CsvReaderTest, CharacterAfterClosingQuoteOnLaterPhysicalLine) {
  const DataError e = ReadError("\"multi\nline\" tail\n");
  EXPECT_EQ(e.position().line, 2);
  EXPECT_EQ(e.value(), " ");
}

TEST(CsvReaderTest, OversizedFieldFailsClearly) {
  CsvLimits limits;
  limits.max_field_bytes = 8;
  EXPECT_EQ(ReadAll("12345678\n", limits).records, (std::vector<Fields>{{"12345678"}}));
  const DataError e = ReadError("ok\n\"123456789\n", limits);
  EXPECT_EQ(e.position().line, 2);
  EXPECT_EQ(e.position().column, 1);
  EXPECT_NE(e.expected().find("at most 8 bytes"), std::string::npos);
  EXPECT_NE(e.expected().find("closing quote missing"), std::string::npos);
}

TEST(CsvReaderTest, DefaultLimitStopsARunawayQuoteEarly) {
  // A missing closing quote in front of a big file: the reader must stop at
  // the bound (1 MiB) rather than read everything into one field.
  std::string text = "a\n\"";
  text.append(3u << 20, 'x');
  std::istringstream in(text);
  CsvReader reader(in, "big.csv");
  CsvRecord record;
  ASSERT_TRUE(reader.Next(&record));
  try {
    reader.Next(&record);
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(e.position().line, 2);
    EXPECT_NE(e.expected().find("1048576"), std::string::npos);
    EXPECT_LT(e.value().size(), 100u);
  }
  EXPECT_LT(in.tellg(), std::streampos(2u << 20));
}

TEST(CsvReaderTest, RecordLimitBoundsManyEmptyFields) {
  CsvLimits limits;
  limits.max_record_bytes = 100;
  const DataError e = ReadError(std::string(500, ',') + "\n", limits);
  EXPECT_EQ(e.position().line, 1);
  EXPECT_NE(e.expected().find("record of at most 100 bytes"), std::string::npos);
}

}  // namespace
}  // namespace fedcrm::data
