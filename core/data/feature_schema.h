// The feature schema: which CSV columns a task uses and how each is encoded.
//
// Its JSON form is FederatedRound.spec.schema (callers convert YAML to JSON):
//
//   label: {name: churned, type: binary, positive: "yes", negative: "no"}
//     or   {name: resolution, type: multiclass, classes: [a, b, c]}
//   features:
//     - {name: tenure_months, type: numeric, missing: mean, transform: none}
//     - {name: plan, type: categorical, vocabulary: [basic, pro], unknown: other}
//     - {name: has_sso, type: boolean, missing: error}
//     - {name: ticket_text, type: text, buckets: 32}
//
// Defaults: numeric missing=mean, transform=none; categorical unknown=other;
// boolean missing=error; text buckets=32. Keys that do not belong to a
// feature's type are rejected, so a typo cannot silently change training.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace fedcrm::data {

enum class FeatureType { kNumeric, kCategorical, kBoolean, kText };
enum class LabelType { kBinary, kMulticlass };

// What an empty cell becomes. Numeric: kError, kMean or kZero.
// Boolean: kError or kFalse.
enum class MissingPolicy { kError, kMean, kZero, kFalse };

// Applied to numeric values when the table is read, before statistics.
enum class Transform { kNone, kLog1p };

// What a categorical value outside the vocabulary (or an empty cell) becomes.
enum class UnknownPolicy { kOther, kError };

struct FeatureSpec {
  std::string name;
  FeatureType type = FeatureType::kNumeric;
  MissingPolicy missing = MissingPolicy::kMean;   // numeric and boolean
  Transform transform = Transform::kNone;         // numeric
  std::vector<std::string> vocabulary;            // categorical
  UnknownPolicy unknown = UnknownPolicy::kOther;  // categorical
  int buckets = 0;                                // text

  bool operator==(const FeatureSpec&) const = default;
};

struct LabelSpec {
  std::string name;
  LabelType type = LabelType::kBinary;
  // Class names in class-index order. Binary: {negative, positive}, so the
  // positive class is index 1 as fedcrm::data::Dataset requires.
  std::vector<std::string> classes;

  bool operator==(const LabelSpec&) const = default;
};

class FeatureSchema {
 public:
  static constexpr int kDefaultTextBuckets = 32;
  static constexpr int kMaxTextBuckets = 4096;

  // Parses and validates `json`. `where` names the document and the path to
  // the schema in it (e.g. "examples/churn.yaml: spec.schema"); ConfigErrors
  // read "<where>.features[3].vocabulary: <problem>".
  static FeatureSchema FromJson(const nlohmann::json& json, const std::string& where);

  // The canonical form with every default spelled out; FromJson(ToJson())
  // reproduces the schema.
  nlohmann::json ToJson() const;

  const LabelSpec& label() const { return label_; }
  const std::vector<FeatureSpec>& features() const { return features_; }
  int num_classes() const { return static_cast<int>(label_.classes.size()); }

  // Names of the numeric features in schema order: the layout of
  // FeatureStatistics.
  std::vector<std::string> NumericFeatureNames() const;

  bool operator==(const FeatureSchema&) const = default;

 private:
  LabelSpec label_;
  std::vector<FeatureSpec> features_;
};

const char* FeatureTypeName(FeatureType type);

}  // namespace fedcrm::data
