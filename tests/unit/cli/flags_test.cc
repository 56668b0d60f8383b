#include "cli/flags.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace fedcrm::cli {
namespace {

TEST(FlagsTest, ParsesValuesBooleansAndPositionals) {
  Flags flags({"rows", "out"}, {"verbose"});
  flags.Parse({"show", "--rows", "10", "--out=a.csv", "--verbose"});
  EXPECT_EQ(flags.Int("rows"), 10);
  EXPECT_EQ(flags.String("out"), "a.csv");
  EXPECT_TRUE(flags.Bool("verbose"));
  ASSERT_EQ(flags.positional().size(), 1u);
  EXPECT_EQ(flags.positional()[0], "show");
  EXPECT_DOUBLE_EQ(flags.Double("missing", 2.5), 2.5);
}

TEST(FlagsTest, RejectsUnknownFlagsMissingValuesAndBadNumbers) {
  Flags flags({"rows"}, {"verbose"});
  EXPECT_THROW(flags.Parse({"--colour"}), ConfigError);
  Flags dangling({"rows"}, {});
  EXPECT_THROW(dangling.Parse({"--rows"}), ConfigError);
  Flags bad({"rows"}, {});
  bad.Parse({"--rows", "ten"});
  try {
    bad.Int("rows");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--rows"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'ten'"), std::string::npos);
  }
  EXPECT_THROW(bad.String("absent"), ConfigError);
}

TEST(FlagsTest, RepeatedFlagsKeepOrder) {
  Flags flags({"drop"}, {});
  flags.Parse({"--drop", "eu@masked", "--drop", "us@unmask"});
  EXPECT_EQ(flags.All("drop"), (std::vector<std::string>{"eu@masked", "us@unmask"}));
}

}  // namespace
}  // namespace fedcrm::cli
