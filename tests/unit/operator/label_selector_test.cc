#include "operator/label_selector.h"

#include <gtest/gtest.h>

namespace fedcrm::op {
namespace {

kube::LabelSelector Parse(const Json& selector) {
  return ParseLabelSelector(selector, FieldPath("FederatedRound ns/r", "spec.siloSelector"));
}

const std::map<std::string, std::string> kEu = {{"fedcrm.io/federation", "crm"}, {"tier", "gold"}};

TEST(LabelSelectorTest, EmptySelectorSelectsEverything) {
  EXPECT_TRUE(MatchesLabelSelector(Parse(Json::object()), {}));
  EXPECT_TRUE(MatchesLabelSelector(Parse(Json::object()), kEu));
}

TEST(LabelSelectorTest, MatchLabelsNeedEveryPair) {
  EXPECT_TRUE(MatchesLabelSelector(Parse({{"matchLabels", {{"tier", "gold"}}}}), kEu));
  EXPECT_FALSE(MatchesLabelSelector(Parse({{"matchLabels", {{"tier", "silver"}}}}), kEu));
  EXPECT_FALSE(
      MatchesLabelSelector(Parse({{"matchLabels", {{"tier", "gold"}, {"missing", "x"}}}}), kEu));
}

TEST(LabelSelectorTest, ExpressionsFollowTheApiSemantics) {
  auto expr = [](const std::string& key, const std::string& op, Json values) {
    Json e = {{"key", key}, {"operator", op}};
    if (!values.is_null()) e["values"] = values;
    return Parse({{"matchExpressions", Json::array({e})}});
  };
  EXPECT_TRUE(MatchesLabelSelector(expr("tier", "In", {"gold", "silver"}), kEu));
  EXPECT_FALSE(MatchesLabelSelector(expr("tier", "In", {"silver"}), kEu));
  EXPECT_FALSE(MatchesLabelSelector(expr("absent", "In", {"x"}), kEu));
  EXPECT_FALSE(MatchesLabelSelector(expr("tier", "NotIn", {"gold"}), kEu));
  EXPECT_TRUE(MatchesLabelSelector(expr("tier", "NotIn", {"silver"}), kEu));
  EXPECT_TRUE(MatchesLabelSelector(expr("absent", "NotIn", {"x"}), kEu));  // absent key passes
  EXPECT_TRUE(MatchesLabelSelector(expr("tier", "Exists", nullptr), kEu));
  EXPECT_FALSE(MatchesLabelSelector(expr("absent", "Exists", nullptr), kEu));
  EXPECT_TRUE(MatchesLabelSelector(expr("absent", "DoesNotExist", nullptr), kEu));
  EXPECT_FALSE(MatchesLabelSelector(expr("tier", "DoesNotExist", nullptr), kEu));
}

TEST(LabelSelectorTest, LabelsAndExpressionsAreAnded) {
  const auto selector =
      Parse({{"matchLabels", {{"tier", "gold"}}},
             {"matchExpressions",
              {{{"key", "fedcrm.io/federation"}, {"operator", "In"}, {"values", {"other"}}}}}});
  EXPECT_FALSE(MatchesLabelSelector(selector, kEu));
}

TEST(LabelSelectorTest, MalformedSelectorsNameTheField) {
  try {
    Parse({{"matchExpressions", {{{"key", "a"}, {"operator", "Like"}}}}});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "FederatedRound ns/r: spec.siloSelector.matchExpressions[0].operator");
  }
  EXPECT_THROW(Parse({{"matchExpressions", {{{"key", "a"}, {"operator", "In"}}}}}), ConfigError);
  EXPECT_THROW(
      Parse({{"matchExpressions", {{{"key", "a"}, {"operator", "Exists"}, {"values", {"x"}}}}}}),
      ConfigError);
  EXPECT_THROW(Parse({{"matchLabels", {{"a", 1}}}}), ConfigError);
  EXPECT_THROW(Parse(Json::array()), ConfigError);
}

}  // namespace
}  // namespace fedcrm::op
