#include "core/fl/round_config.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace fedcrm::fl {
namespace {

nlohmann::json Minimal() {
  return nlohmann::json::parse(R"({
    "task": "churn",
    "schema": {"label": {"name": "y", "type": "binary", "positive": "1", "negative": "0"},
               "features": [{"name": "a", "type": "numeric"},
                            {"name": "p", "type": "categorical", "vocabulary": ["x", "y"]}]},
    "privacy": {"noiseMultiplier": 1.1, "clipNorm": 1.0, "samplingRate": 0.02, "delta": 1e-6},
    "silos": [{"name": "eu", "epsilonBudget": 3}, {"name": "us", "epsilonBudget": 2}]
  })");
}

TEST(RoundConfigTest, DerivesTheModelShapeAndRoundTrips) {
  const RoundConfig config = ParseRoundConfig(Minimal(), "r1");
  EXPECT_EQ(config.model.input_dim, 1 + 3);  // numeric + vocabulary + "other"
  EXPECT_EQ(config.model.num_classes, 2);
  ASSERT_TRUE(config.training.dp.has_value());
  EXPECT_DOUBLE_EQ(config.training.dp->noise_multiplier, 1.1);
  EXPECT_DOUBLE_EQ(config.privacy_delta, 1e-6);
  EXPECT_EQ(config.Roster(), (std::vector<std::string>{"eu", "us"}));
  EXPECT_EQ(config.quantization.modulus_bits, 32);
  EXPECT_EQ(config.model_line, "r1");

  const RoundConfig again = ParseRoundConfig(RoundConfigToJson(config), "r1");
  EXPECT_EQ(RoundConfigToJson(again), RoundConfigToJson(config));
}

TEST(RoundConfigTest, EvaluationIsOptionalAndRoundTrips) {
  const RoundConfig plain = ParseRoundConfig(Minimal(), "r1");
  EXPECT_EQ(plain.evaluation_holdout, 0.0);
  // Absent from the canonical form unless set: older release records compare equal.
  EXPECT_FALSE(RoundConfigToJson(plain).contains("evaluation"));

  auto json = Minimal();
  json["evaluation"] = {{"holdoutFraction", 0.25}};
  const RoundConfig evaluated = ParseRoundConfig(json, "r1");
  EXPECT_DOUBLE_EQ(evaluated.evaluation_holdout, 0.25);
  EXPECT_DOUBLE_EQ(ParseRoundConfig(RoundConfigToJson(evaluated), "r1").evaluation_holdout, 0.25);

  json["evaluation"]["holdoutFraction"] = 0.95;
  EXPECT_THROW(ParseRoundConfig(json, "r1"), ConfigError);
  json["evaluation"] = "yes";
  EXPECT_THROW(ParseRoundConfig(json, "r1"), ConfigError);
}

TEST(RoundConfigTest, NullPrivacyMeansNoDp) {
  auto json = Minimal();
  json["privacy"] = nullptr;
  EXPECT_FALSE(ParseRoundConfig(json, "r").training.dp.has_value());
}

TEST(RoundConfigTest, ErrorsNameTheField) {
  auto expect_error = [](nlohmann::json json, const std::string& needle) {
    try {
      ParseRoundConfig(json, "r");
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto json = Minimal();
  json["secureAggregation"] = {{"modulusBits", 48}};
  expect_error(json, "secureAggregation.modulusBits");
  json = Minimal();
  json["silos"].push_back({{"name", "eu"}});
  expect_error(json, "silos[2].name: duplicate 'eu'");
  json = Minimal();
  json["privacy"]["samplingRate"] = 0;
  expect_error(json, "privacy.samplingRate");
  json = Minimal();
  json["silos"].push_back({{"name", "apac"}});
  json["secureAggregation"] = {
      {"quantization", {{"levelsBits", 31}}}};  // 3 * (2^31 - 1) wraps 2^32
  expect_error(json, "");
  json = Minimal();
  json.erase("schema");
  expect_error(json, "round config: schema");
}

}  // namespace
}  // namespace fedcrm::fl
