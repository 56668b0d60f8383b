#include "core/model/model_card.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/common/error.h"

namespace fedcrm::model {
namespace {

using nlohmann::json;

ModelCard Sample() {
  ModelCard card;
  card.task = "churn";
  card.spec.type = "mlp";
  card.spec.input_dim = 12;
  card.spec.hidden_layers = {16, 8};
  card.spec.l2 = 1e-4;
  card.schema = {{"features", {{{"name", "plan"}, {"kind", "categorical"}}}}};
  card.feature_statistics = {{"tenure", {{"mean", 12.5}, {"std", 3.0}}}};
  card.metrics = {{"roc_auc", 0.8125}, {"log_loss", 0.41}};
  card.privacy = {{"epsilon", 2.5}, {"delta", 1e-6}};
  card.lineage = {{"round", 3}, {"base", "sha256:00"}};
  return card;
}

// The where() of the ConfigError FromJson throws, or "" when it accepts.
std::string RejectedAt(const json& value) {
  try {
    ModelCard::FromJson(value, "card");
  } catch (const ConfigError& e) {
    return e.where();
  }
  return "";
}

TEST(ModelCardTest, RoundTrip) {
  const ModelCard card = Sample();
  const json encoded = card.ToJson();
  EXPECT_EQ(encoded["model"]["inputDim"], 12);
  EXPECT_EQ(encoded["model"]["hiddenLayers"], json({16, 8}));
  const ModelCard decoded = ModelCard::FromJson(json::parse(encoded.dump()), "card");
  EXPECT_EQ(decoded.task, card.task);
  EXPECT_EQ(decoded.spec.type, "mlp");
  EXPECT_EQ(decoded.spec.input_dim, 12);
  EXPECT_EQ(decoded.spec.num_classes, 2);
  EXPECT_EQ(decoded.spec.hidden_layers, card.spec.hidden_layers);
  EXPECT_EQ(decoded.spec.l2, card.spec.l2);
  EXPECT_EQ(decoded.schema, card.schema);
  EXPECT_EQ(decoded.feature_statistics, card.feature_statistics);
  EXPECT_EQ(decoded.metrics, card.metrics);
  EXPECT_EQ(decoded.privacy, card.privacy);
  EXPECT_EQ(decoded.lineage, card.lineage);
}

TEST(ModelCardTest, UndefinedMetricsBecomeNullAndComeBackAsNaN) {
  ModelCard card = Sample();
  card.metrics["roc_auc"] = std::numeric_limits<double>::quiet_NaN();
  const json encoded = card.ToJson();
  EXPECT_TRUE(encoded["metrics"]["roc_auc"].is_null());
  const ModelCard decoded = ModelCard::FromJson(json::parse(encoded.dump()), "card");
  EXPECT_TRUE(std::isnan(decoded.metrics.at("roc_auc")));
}

TEST(ModelCardTest, OptionalPartsDefault) {
  const ModelCard card =
      ModelCard::FromJson(json{{"model", {{"type", "logistic"}, {"inputDim", 3}}}}, "card");
  EXPECT_EQ(card.spec.num_classes, 2);
  EXPECT_TRUE(card.spec.hidden_layers.empty());
  EXPECT_EQ(card.spec.l2, 0.0);
  EXPECT_TRUE(card.schema.is_null());
  EXPECT_TRUE(card.metrics.empty());
  EXPECT_EQ(card.task, "");
}

TEST(ModelCardTest, RejectsInvalidCardsNamingTheField) {
  const json model = {{"type", "logistic"}, {"inputDim", 3}};
  EXPECT_EQ(RejectedAt(json::array()), "card");
  EXPECT_EQ(RejectedAt(json::object()), "card.model");
  EXPECT_EQ(RejectedAt(json{{"model", model}, {"colour", "red"}}), "card.colour");
  EXPECT_EQ(RejectedAt(json{{"model", model}, {"task", 5}}), "card.task");
  EXPECT_EQ(RejectedAt(json{{"model", model}, {"metrics", {{"auc", "high"}}}}), "card.metrics.auc");
  EXPECT_EQ(RejectedAt(json{{"model", model}, {"metrics", json::array()}}), "card.metrics");

  json bad = model;
  bad["inputDim"] = 1.5;
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.inputDim");
  bad["inputDim"] = 5000000000;
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.inputDim");
  bad["inputDim"] = -1;
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.inputDim");
  bad = model;
  bad.erase("type");
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.type");
  bad = model;
  bad["numClasses"] = 3;
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.numClasses");
  bad = model;
  bad["type"] = "mlp";
  bad["hiddenLayers"] = {4, "8"};
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.hiddenLayers[1]");
  bad = model;
  bad["l2"] = "small";
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.l2");
  bad = model;
  bad["layers"] = 2;
  EXPECT_EQ(RejectedAt(json{{"model", bad}}), "card.model.layers");
}

}  // namespace
}  // namespace fedcrm::model
