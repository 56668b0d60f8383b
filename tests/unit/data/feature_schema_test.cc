#include "core/data/feature_schema.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/common/error.h"
#include "core/common/yaml_json.h"

namespace fedcrm::data {
namespace {

using nlohmann::json;

json ChurnSchema() {
  return json::parse(R"({
    "label": {"name": "churned", "type": "binary", "positive": "yes", "negative": "no"},
    "features": [
      {"name": "tenure_months", "type": "numeric", "missing": "mean", "transform": "none"},
      {"name": "plan", "type": "categorical", "vocabulary": ["basic", "pro", "enterprise"],
       "unknown": "other"},
      {"name": "has_sso", "type": "boolean", "missing": "error"},
      {"name": "ticket_text", "type": "text", "buckets": 32}
    ]})");
}

std::string ErrorOf(const json& j) {
  try {
    FeatureSchema::FromJson(j, "churn.yaml: spec.schema");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FeatureSchemaTest, ParsesTheDocumentedShape) {
  const FeatureSchema schema = FeatureSchema::FromJson(ChurnSchema(), "churn.yaml: spec.schema");
  EXPECT_EQ(schema.label().name, "churned");
  EXPECT_EQ(schema.label().type, LabelType::kBinary);
  EXPECT_EQ(schema.label().classes, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(schema.num_classes(), 2);
  ASSERT_EQ(schema.features().size(), 4u);
  EXPECT_EQ(schema.features()[0].type, FeatureType::kNumeric);
  EXPECT_EQ(schema.features()[0].missing, MissingPolicy::kMean);
  EXPECT_EQ(schema.features()[1].vocabulary,
            (std::vector<std::string>{"basic", "pro", "enterprise"}));
  EXPECT_EQ(schema.features()[1].unknown, UnknownPolicy::kOther);
  EXPECT_EQ(schema.features()[2].missing, MissingPolicy::kError);
  EXPECT_EQ(schema.features()[3].buckets, 32);
  EXPECT_EQ(schema.NumericFeatureNames(), (std::vector<std::string>{"tenure_months"}));
}

TEST(FeatureSchemaTest, ParsesTheDocumentedYaml) {
  const nlohmann::json j = YamlToJson(R"(
label: {name: churned, type: binary, positive: "yes", negative: "no"}
features:
  - {name: tenure_months, type: numeric, missing: mean, transform: none}
  - {name: plan, type: categorical, vocabulary: [basic, pro, enterprise], unknown: other}
  - {name: has_sso, type: boolean, missing: false}
  - {name: ticket_text, type: text, buckets: 32}
)",
                                      "inline.yaml");
  const FeatureSchema schema = FeatureSchema::FromJson(j, "inline.yaml");
  EXPECT_EQ(schema.features()[2].missing, MissingPolicy::kFalse);
  EXPECT_EQ(schema.features()[3].buckets, 32);
  json expected = ChurnSchema();
  expected["features"][2]["missing"] = "false";
  EXPECT_EQ(schema, FeatureSchema::FromJson(expected, "x"));
}

TEST(FeatureSchemaTest, ExampleSchemasParseAndRoundTrip) {
  // Run from the repository root (the tests' working directory).
  for (const char* path : {"examples/schemas/churn.yaml", "examples/schemas/lead-scoring.yaml",
                           "examples/schemas/service.yaml"}) {
    const FeatureSchema schema = FeatureSchema::FromJson(ReadYamlFile(path), path);
    EXPECT_FALSE(schema.features().empty()) << path;
    EXPECT_EQ(FeatureSchema::FromJson(schema.ToJson(), path), schema) << path;
  }
}

TEST(FeatureSchemaTest, Defaults) {
  const FeatureSchema schema = FeatureSchema::FromJson(json::parse(R"({
    "label": {"name": "resolution", "type": "multiclass",
              "classes": ["self_service", "remote_session", "escalation", "refund"]},
    "features": [
      {"name": "n", "type": "numeric"},
      {"name": "c", "type": "categorical", "vocabulary": ["a"]},
      {"name": "b", "type": "boolean"},
      {"name": "t", "type": "text"}
    ]})"),
                                                       "");
  EXPECT_EQ(schema.num_classes(), 4);
  EXPECT_EQ(schema.label().classes[3], "refund");
  EXPECT_EQ(schema.features()[0].missing, MissingPolicy::kMean);
  EXPECT_EQ(schema.features()[0].transform, Transform::kNone);
  EXPECT_EQ(schema.features()[1].unknown, UnknownPolicy::kOther);
  EXPECT_EQ(schema.features()[2].missing, MissingPolicy::kError);
  EXPECT_EQ(schema.features()[3].buckets, FeatureSchema::kDefaultTextBuckets);
}

TEST(FeatureSchemaTest, JsonRoundTrip) {
  json j = ChurnSchema();
  j["features"][0]["transform"] = "log1p";
  j["features"][0]["missing"] = "zero";
  j["features"][1]["unknown"] = "error";
  j["features"][2]["missing"] = "false";
  const FeatureSchema schema = FeatureSchema::FromJson(j, "x");
  const json out = schema.ToJson();
  EXPECT_EQ(out, j);
  EXPECT_EQ(FeatureSchema::FromJson(out, "x"), schema);

  const FeatureSchema multiclass = FeatureSchema::FromJson(
      json::parse(R"({"label": {"name": "r", "type": "multiclass", "classes": ["a", "b", "c"]},
                      "features": [{"name": "t", "type": "text"}]})"),
      "x");
  EXPECT_EQ(FeatureSchema::FromJson(multiclass.ToJson(), "x"), multiclass);
  EXPECT_EQ(multiclass.ToJson()["features"][0]["buckets"], 32);
}

TEST(FeatureSchemaTest, YamlStyleScalarsAreAccepted) {
  json j = ChurnSchema();
  j["features"][2]["missing"] = false;  // YAML `missing: false`
  j["features"][3]["buckets"] = "16";
  j["features"][1]["vocabulary"] = json::array({1, 2, 3});
  j["label"]["positive"] = true;  // YAML `positive: true`
  j["label"]["negative"] = false;
  const FeatureSchema schema = FeatureSchema::FromJson(j, "x");
  EXPECT_EQ(schema.label().classes, (std::vector<std::string>{"false", "true"}));
  EXPECT_EQ(schema.features()[2].missing, MissingPolicy::kFalse);
  EXPECT_EQ(schema.features()[3].buckets, 16);
  EXPECT_EQ(schema.features()[1].vocabulary, (std::vector<std::string>{"1", "2", "3"}));
}

TEST(FeatureSchemaTest, ErrorsNameThePath) {
  json j = ChurnSchema();
  j["features"][1]["vocabulary"] = json::array({"basic", "pro", "basic"});
  EXPECT_EQ(ErrorOf(j),
            "churn.yaml: spec.schema.features[1].vocabulary[2]: duplicate value 'basic'");

  j = ChurnSchema();
  j["features"][1]["vocabulary"] = json::array();
  EXPECT_EQ(ErrorOf(j),
            "churn.yaml: spec.schema.features[1].vocabulary: expected at least 1 entries, got 0");

  j = ChurnSchema();
  j["features"][1].erase("vocabulary");
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.features[1].vocabulary: is required");
}

TEST(FeatureSchemaTest, RejectsDuplicateNames) {
  json j = ChurnSchema();
  j["features"][2]["name"] = "plan";
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.features[2].name: duplicate feature name 'plan'");
  j = ChurnSchema();
  j["features"][0]["name"] = "churned";
  EXPECT_NE(ErrorOf(j).find("features[0].name: 'churned' is the label"), std::string::npos);
}

TEST(FeatureSchemaTest, RejectsUnknownTypesPoliciesAndKeys) {
  json j = ChurnSchema();
  j["features"][0]["type"] = "float";
  EXPECT_EQ(ErrorOf(j),
            "churn.yaml: spec.schema.features[0].type: expected one of numeric, categorical, "
            "boolean, text, got 'float'");

  j = ChurnSchema();
  j["features"][0]["missing"] = "drop";
  EXPECT_NE(ErrorOf(j).find("features[0].missing: expected one of error, mean, zero"),
            std::string::npos);

  j = ChurnSchema();
  j["features"][2]["missing"] = "mean";  // not a boolean policy
  EXPECT_NE(ErrorOf(j).find("features[2].missing: expected one of error, false"),
            std::string::npos);

  j = ChurnSchema();
  j["features"][1]["unknown"] = "drop";
  EXPECT_NE(ErrorOf(j).find("features[1].unknown: expected one of other, error"),
            std::string::npos);

  j = ChurnSchema();
  j["features"][1]["vocab"] = json::array({"x"});
  EXPECT_NE(ErrorOf(j).find("features[1].vocab: is not a field of a categorical feature"),
            std::string::npos);

  j = ChurnSchema();
  j["features"][0]["buckets"] = 4;
  EXPECT_NE(ErrorOf(j).find("features[0].buckets: is not a field of a numeric feature"),
            std::string::npos);

  j = ChurnSchema();
  j["labels"] = 1;
  EXPECT_NE(ErrorOf(j).find("spec.schema.labels: is not a field of a schema"), std::string::npos);
}

TEST(FeatureSchemaTest, RejectsBadBuckets) {
  for (json buckets : {json(0), json(4097), json(-1), json(2.5), json("many")}) {
    json j = ChurnSchema();
    j["features"][3]["buckets"] = buckets;
    EXPECT_NE(ErrorOf(j).find("spec.schema.features[3].buckets: expected an integer"),
              std::string::npos)
        << buckets;
  }
  json j = ChurnSchema();
  j["features"][3]["buckets"] = 4096;
  EXPECT_EQ(ErrorOf(j), "(no error)");
}

TEST(FeatureSchemaTest, ValidatesLabel) {
  json j = ChurnSchema();
  j["label"]["negative"] = "yes";
  EXPECT_EQ(ErrorOf(j),
            "churn.yaml: spec.schema.label.negative: must differ from positive, both are 'yes'");

  j = ChurnSchema();
  j["label"]["positive"] = 1.5;
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.label.positive: expected a string, got number");

  j = ChurnSchema();
  j["label"]["positive"] = json::object();
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.label.positive: expected a string, got object");

  j = ChurnSchema();
  j["label"] = json::parse(R"({"name": "r", "type": "multiclass", "classes": ["only"]})");
  EXPECT_EQ(ErrorOf(j),
            "churn.yaml: spec.schema.label.classes: expected at least 2 entries, got 1");

  j["label"]["classes"] = json::array({"a", "b", "a"});
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.label.classes[2]: duplicate value 'a'");

  j["label"]["classes"] = json::array({"a", " b"});
  EXPECT_NE(ErrorOf(j).find("label.classes[1]: value ' b' must not start or end with whitespace"),
            std::string::npos);

  j = ChurnSchema();
  j["label"]["type"] = "regression";
  EXPECT_NE(ErrorOf(j).find("label.type: expected one of binary, multiclass"), std::string::npos);

  j = ChurnSchema();
  j.erase("label");
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.label: is required");
}

TEST(FeatureSchemaTest, RejectsWrongShapes) {
  EXPECT_EQ(ErrorOf(json::array()), "churn.yaml: spec.schema: expected a mapping, got array");
  json j = ChurnSchema();
  j["features"] = json::array();
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.features: expected a non-empty list of features");
  j["features"] = json::array({"plan"});
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.features[0]: expected a mapping, got string");
  j["features"] = json::array({json::object({{"type", "numeric"}})});
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.features[0].name: is required");
  j["features"] = json::array({json::object({{"name", ""}, {"type", "numeric"}})});
  EXPECT_EQ(ErrorOf(j), "churn.yaml: spec.schema.features[0].name: must not be empty");
}

}  // namespace
}  // namespace fedcrm::data
