#include "core/common/error.h"

#include <gtest/gtest.h>

namespace fedcrm {
namespace {

TEST(DataErrorTest, MessageNamesFileLineColumnValueAndExpectation) {
  DataError error({"data/eu.csv", 17, 4, "plan"}, "platinum", "expected one of basic, pro");
  EXPECT_STREQ(error.what(),
               "data/eu.csv:17:4 (column 'plan'): value 'platinum': expected one of basic, pro");
  EXPECT_EQ(error.position().line, 17);
  EXPECT_EQ(error.value(), "platinum");
}

TEST(DataErrorTest, RecordLevelErrorOmitsColumn) {
  DataError error({"x.csv", 3, 0, ""}, "", "expected 5 fields, found 4");
  EXPECT_STREQ(error.what(), "x.csv:3: expected 5 fields, found 4");
}

TEST(ConfigErrorTest, MessageIsWhereThenProblem) {
  ConfigError error("churn.yaml: spec.privacy.delta", "must be in (0, 1), got 2");
  EXPECT_STREQ(error.what(), "churn.yaml: spec.privacy.delta: must be in (0, 1), got 2");
}

}  // namespace
}  // namespace fedcrm
