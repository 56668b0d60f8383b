#include "operator/federated_round.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/common/yaml_json.h"

namespace fedcrm::op {
namespace {

Json Example() { return ReadYamlFile("examples/kubernetes/federatedround-churn.yaml"); }

const std::vector<ParticipantSilo> kRoster = {{"eu-west", 3.0, 1e-5}, {"us-east", 4.0, 1e-6}};

TEST(FederatedRoundTest, ParsesTheExample) {
  const FederatedRound round = ParseFederatedRound(Example());
  EXPECT_EQ(round.name, "churn-adhoc-1");
  EXPECT_EQ(round.namespace_, "fedcrm");
  EXPECT_EQ(round.model_line, "churn-adhoc");
  EXPECT_EQ(round.task, "churn");
  EXPECT_EQ(round.min_participants, 2);
  EXPECT_EQ(round.local_steps, 20);
  EXPECT_DOUBLE_EQ(round.privacy.noise_multiplier, 0.813);
  EXPECT_DOUBLE_EQ(round.privacy.sampling_rate, 0.01);
  EXPECT_DOUBLE_EQ(round.privacy.delta, 1e-5);
  EXPECT_EQ(round.deadlines.round_seconds, 3600);
  ASSERT_TRUE(round.base_model_digest.has_value());
  EXPECT_FALSE(round.previous_round.has_value());
  EXPECT_EQ(round.silo_selector.match_labels.at("fedcrm.io/federation"), "crm");
}

TEST(FederatedRoundTest, AppliesDefaultsTheCrdLeavesOut) {
  Json object = Example();
  object["spec"].erase("modelLine");
  object["spec"].erase("training");
  object["spec"].erase("deadlines");
  object["spec"]["privacy"] = {{"noiseMultiplier", 1.1}};
  const FederatedRound round = ParseFederatedRound(object);
  EXPECT_EQ(round.model_line, "churn-adhoc-1");
  EXPECT_EQ(round.local_steps, 10);
  EXPECT_DOUBLE_EQ(round.privacy.sampling_rate, 0.01);
  EXPECT_DOUBLE_EQ(round.privacy.clip_norm, 1.0);
  EXPECT_EQ(round.deadlines.phase_seconds, 120);
  EXPECT_EQ(round.deadlines.masked_input_seconds, 900);
}

TEST(FederatedRoundTest, ErrorsNameTheObjectAndTheField) {
  auto where = [](const Json& object) {
    try {
      ParseFederatedRound(object);
    } catch (const ConfigError& e) {
      return e.where();
    }
    return std::string("(no error)");
  };
  Json object = Example();
  object["spec"]["privacy"].erase("noiseMultiplier");
  EXPECT_EQ(where(object), "FederatedRound fedcrm/churn-adhoc-1: spec.privacy.noiseMultiplier");
  object = Example();
  object["spec"]["minParticipants"] = 1;
  EXPECT_EQ(where(object), "FederatedRound fedcrm/churn-adhoc-1: spec.minParticipants");
  object = Example();
  object["spec"]["baseModel"]["previousRound"] = "churn-adhoc-0";
  EXPECT_EQ(where(object), "FederatedRound fedcrm/churn-adhoc-1: spec.baseModel");
  object = Example();
  object["spec"]["training"]["localSteps"] = "20";
  EXPECT_EQ(where(object), "FederatedRound fedcrm/churn-adhoc-1: spec.training.localSteps");
}

TEST(FederatedRoundTest, AggregatorConfigCarriesTheSpecAndTheRoster) {
  const FederatedRound round = ParseFederatedRound(Example());
  const fl::RoundConfig config = ToAggregatorRoundConfig(round, kRoster, std::nullopt);
  EXPECT_EQ(config.round_id, "churn-adhoc-1");
  EXPECT_EQ(config.model_line, "churn-adhoc");
  EXPECT_EQ(config.task, "churn");
  EXPECT_EQ(config.base_model, round.base_model_digest);
  EXPECT_EQ(config.Roster(), (std::vector<std::string>{"eu-west", "us-east"}));
  EXPECT_DOUBLE_EQ(config.silos[1].epsilon_budget, 4.0);
  EXPECT_DOUBLE_EQ(config.silos[1].delta, 1e-6);
  ASSERT_TRUE(config.training.dp.has_value());
  EXPECT_DOUBLE_EQ(config.training.dp->noise_multiplier, 0.813);
  EXPECT_DOUBLE_EQ(config.training.dp->sampling_rate, 0.01);
  EXPECT_EQ(config.training.steps, 20);
  EXPECT_DOUBLE_EQ(config.training.learning_rate, 0.5);
  EXPECT_EQ(config.training.batch_size, 256);
  EXPECT_EQ(config.threshold, 2);
  EXPECT_EQ(config.phase_seconds, 120);
  EXPECT_EQ(config.masked_input_seconds, 900);
  EXPECT_EQ(config.server_optimizer.type, "fedavg");
  EXPECT_GT(config.model.input_dim, 0);

  // What the operator PUTs is what the aggregator parses back, unchanged.
  const Json body = fl::RoundConfigToJson(config);
  EXPECT_EQ(fl::RoundConfigToJson(fl::ParseRoundConfig(body, round.name)), body);
}

TEST(FederatedRoundTest, AdaptiveOptimizersGetTheirDefaultBetas) {
  Json object = Example();
  object["spec"]["aggregation"]["serverOptimizer"] = {{"type", "fedadam"}, {"learningRate", 0.1}};
  const fl::RoundConfig config =
      ToAggregatorRoundConfig(ParseFederatedRound(object), kRoster, std::nullopt);
  EXPECT_EQ(config.server_optimizer.type, "fedadam");
  EXPECT_DOUBLE_EQ(config.server_optimizer.beta1, 0.9);
  EXPECT_DOUBLE_EQ(config.server_optimizer.beta2, 0.99);
  EXPECT_DOUBLE_EQ(config.server_optimizer.tau, 1e-3);
  EXPECT_DOUBLE_EQ(config.server_optimizer.learning_rate, 0.1);
}

TEST(FederatedRoundTest, BaseModelComesFromThePreviousRound) {
  Json object = Example();
  object["spec"]["baseModel"] = {{"previousRound", "churn-adhoc-0"}};
  const FederatedRound round = ParseFederatedRound(object);
  EXPECT_THROW(ToAggregatorRoundConfig(round, kRoster, std::nullopt), ConfigError);
  const std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(ToAggregatorRoundConfig(round, kRoster, digest).base_model, digest);

  object["spec"].erase("baseModel");
  EXPECT_FALSE(
      ToAggregatorRoundConfig(ParseFederatedRound(object), kRoster, std::nullopt).base_model);
}

TEST(FederatedRoundTest, RefusesWhatTheAggregatorWouldRefuse) {
  const FederatedRound round = ParseFederatedRound(Example());
  EXPECT_THROW(ToAggregatorRoundConfig(round, {}, std::nullopt), ConfigError);
  EXPECT_THROW(ToAggregatorRoundConfig(round, {{"a", 1, 1e-5}, {"a", 1, 1e-5}}, std::nullopt),
               ConfigError);
  Json object = Example();
  object["spec"]["secureAggregation"]["modulusBits"] = 48;
  try {
    ToAggregatorRoundConfig(ParseFederatedRound(object), kRoster, std::nullopt);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.where().find("FederatedRound fedcrm/churn-adhoc-1"), std::string::npos);
    EXPECT_NE(e.where().find("modulusBits"), std::string::npos);
  }
}

TEST(FederatedRoundTest, ModelRoundNamesRoundTrip) {
  EXPECT_EQ(ModelRoundName("churn", 3), "churn-r3");
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-r3"), 3);
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-r12"), 12);
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-r0"), std::nullopt);
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-r03"), std::nullopt);
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-r"), std::nullopt);
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-r3x"), std::nullopt);
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-global-r3"), std::nullopt);
  EXPECT_EQ(ParseRoundOrdinal("churn-global", "churn-r3"), std::nullopt);
  EXPECT_EQ(ParseRoundOrdinal("churn", "churn-r99999999999999999999"), std::nullopt);
}

}  // namespace
}  // namespace fedcrm::op
