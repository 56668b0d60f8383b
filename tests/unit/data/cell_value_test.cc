#include "core/data/cell_value.h"

#include <gtest/gtest.h>

namespace fedcrm::data {
namespace {

TEST(CellValueTest, Trim) {
  EXPECT_EQ(TrimCell("  a b\t"), "a b");
  EXPECT_EQ(TrimCell(" \t "), "");
  EXPECT_EQ(TrimCell(""), "");
}

TEST(CellValueTest, Numbers) {
  EXPECT_EQ(ParseNumber("12"), 12.0);
  EXPECT_EQ(ParseNumber("-3.5"), -3.5);
  EXPECT_EQ(ParseNumber("+1e3"), 1000.0);
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  for (const char* bad : {"", "+", "-", "+-1", "++1", "1.2.3", "12abc", "nan", "inf", "-inf",
                          "1e400", "0x1F", " 1", "1,000"}) {
    EXPECT_FALSE(ParseNumber(bad).has_value()) << bad;
  }
}

TEST(CellValueTest, Booleans) {
  for (const char* yes : {"true", "TRUE", "Yes", "1"}) EXPECT_EQ(ParseBoolean(yes), true) << yes;
  for (const char* no : {"false", "False", "NO", "0"}) EXPECT_EQ(ParseBoolean(no), false) << no;
  for (const char* bad : {"", "y", "n", "2", "truee", "t"}) {
    EXPECT_FALSE(ParseBoolean(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace fedcrm::data
