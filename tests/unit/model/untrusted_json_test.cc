#include "core/model/untrusted_json.h"

#include <gtest/gtest.h>

namespace fedcrm::model {
namespace {

TEST(UntrustedJsonTest, ParsesOrdinaryDocuments) {
  std::string problem;
  const nlohmann::json value =
      ParseUntrustedJson(R"({"a": [1, {"b": "x]}{[\""}], "c": {}})", 3, &problem);
  ASSERT_FALSE(value.is_discarded()) << problem;
  EXPECT_EQ(value["a"][1]["b"], "x]}{[\"");
}

TEST(UntrustedJsonTest, BracketsInsideStringsDoNotCountAsNesting) {
  std::string problem;
  EXPECT_FALSE(ParseUntrustedJson(R"({"k": "[[[[[[[[[[{{{{{{"})", 1, &problem).is_discarded());
}

TEST(UntrustedJsonTest, RejectsDeepNesting) {
  std::string problem;
  EXPECT_TRUE(ParseUntrustedJson("[[[[1]]]]", 3, &problem).is_discarded());
  EXPECT_NE(problem.find("nested more than 3"), std::string::npos);
  EXPECT_FALSE(ParseUntrustedJson("[[[1]]]", 3, &problem).is_discarded());
}

TEST(UntrustedJsonTest, RejectsDuplicateKeysAtAnyLevel) {
  std::string problem;
  EXPECT_TRUE(ParseUntrustedJson(R"({"a": 1, "a": 2})", 4, &problem).is_discarded());
  EXPECT_NE(problem.find("duplicate key 'a'"), std::string::npos);
  EXPECT_TRUE(ParseUntrustedJson(R"({"x": [{"b": 1, "b": 1}]})", 4, &problem).is_discarded());
  // The same key in sibling objects is fine.
  EXPECT_FALSE(ParseUntrustedJson(R"([{"b": 1}, {"b": 2}])", 4, &problem).is_discarded());
}

TEST(UntrustedJsonTest, ReportsSyntaxErrors) {
  std::string problem;
  EXPECT_TRUE(ParseUntrustedJson("{\"a\": }", 4, &problem).is_discarded());
  EXPECT_NE(problem.find("invalid JSON"), std::string::npos);
  EXPECT_TRUE(ParseUntrustedJson("\"\xff\"", 4, &problem).is_discarded());  // invalid UTF-8
}

}  // namespace
}  // namespace fedcrm::model
