#include "core/data/feature_schema.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <utility>

#include "core/common/error.h"
#include "core/data/excerpt.h"

namespace fedcrm::data {
namespace {

using nlohmann::json;

std::string Child(const std::string& where, std::string_view key) {
  if (where.empty()) return std::string(key);
  return where + "." + std::string(key);
}

std::string Element(const std::string& where, std::size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

std::string Quoted(std::string_view s) { return "'" + Excerpt(s, 40) + "'"; }

void RequireObject(const json& j, const std::string& where) {
  if (!j.is_object()) {
    throw ConfigError(where, std::string("expected a mapping, got ") + j.type_name());
  }
}

// Rejects keys outside `allowed` so that a misspelt option fails loudly
// instead of silently falling back to a default.
void CheckKeys(const json& j, const std::string& where, const std::vector<std::string>& allowed,
               std::string_view what) {
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw ConfigError(Child(where, key), "is not a field of " + std::string(what) +
                                               "; expected one of " + JoinForMessage(allowed));
    }
  }
}

const json& Required(const json& j, const std::string& where, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) throw ConfigError(Child(where, key), "is required");
  return *it;
}

// A string-valued setting. Integers and booleans are accepted as their JSON
// spelling, because unquoted YAML `1` or `true` (e.g. `positive: true`) means
// the cell text "1" or "true".
std::string ScalarString(const json& j, const std::string& where) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer() || j.is_boolean()) return j.dump();
  throw ConfigError(where, std::string("expected a string, got ") + j.type_name());
}

// A value that must match a trimmed CSV cell: non-empty and without
// surrounding whitespace, otherwise no cell could ever equal it.
std::string CellValue(const json& j, const std::string& where) {
  std::string value = ScalarString(j, where);
  if (value.empty()) throw ConfigError(where, "must not be empty");
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  if (is_space(value.front()) || is_space(value.back())) {
    throw ConfigError(where, "value " + Quoted(value) +
                                 " must not start or end with whitespace (cells are "
                                 "compared after trimming)");
  }
  return value;
}

std::string Name(const json& j, const std::string& where) {
  const std::string key = Child(where, "name");
  const json& name = Required(j, where, "name");
  if (!name.is_string()) {
    throw ConfigError(key, std::string("expected a string, got ") + name.type_name());
  }
  std::string value = name.get<std::string>();
  if (value.empty()) throw ConfigError(key, "must not be empty");
  return value;
}

template <typename Enum>
Enum Choice(const json& j, const std::string& where,
            const std::vector<std::pair<std::string, Enum>>& choices) {
  std::vector<std::string> names;
  names.reserve(choices.size());
  for (const auto& choice : choices) names.push_back(choice.first);
  if (!j.is_string()) {
    throw ConfigError(where, "expected one of " + JoinForMessage(names) + ", got " +
                                 (j.is_primitive() ? j.dump() : j.type_name()));
  }
  const std::string value = j.get<std::string>();
  for (const auto& [name, e] : choices) {
    if (name == value) return e;
  }
  throw ConfigError(where, "expected one of " + JoinForMessage(names) + ", got " + Quoted(value));
}

template <typename Enum>
Enum OptionalChoice(const json& j, const std::string& where, const char* key, Enum fallback,
                    const std::vector<std::pair<std::string, Enum>>& choices) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  return Choice(*it, Child(where, key), choices);
}

// Integers may arrive as JSON integers, integral floats or digit strings,
// depending on how the caller converted YAML.
long long Integer(const json& j, const std::string& where) {
  if (j.is_number_integer()) return j.get<long long>();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return static_cast<long long>(d);
    }
  }
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (!s.empty() && s.size() < 16 &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::stoll(s);
    }
  }
  throw ConfigError(where, "expected an integer, got " +
                               (j.is_primitive() ? j.dump() : std::string(j.type_name())));
}

std::vector<std::string> UniqueValues(const json& j, const std::string& where,
                                      std::size_t min_size) {
  if (!j.is_array()) {
    throw ConfigError(where, std::string("expected a list, got ") + j.type_name());
  }
  if (j.size() < min_size) {
    throw ConfigError(where, "expected at least " + std::to_string(min_size) + " entries, got " +
                                 std::to_string(j.size()));
  }
  std::vector<std::string> values;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string value = CellValue(j[i], Element(where, i));
    if (!seen.insert(value).second) {
      throw ConfigError(Element(where, i), "duplicate value " + Quoted(value));
    }
    values.push_back(std::move(value));
  }
  return values;
}

const std::vector<std::pair<std::string, FeatureType>> kFeatureTypes = {
    {"numeric", FeatureType::kNumeric},
    {"categorical", FeatureType::kCategorical},
    {"boolean", FeatureType::kBoolean},
    {"text", FeatureType::kText}};

const std::vector<std::pair<std::string, MissingPolicy>> kNumericMissing = {
    {"error", MissingPolicy::kError},
    {"mean", MissingPolicy::kMean},
    {"zero", MissingPolicy::kZero}};

const std::vector<std::pair<std::string, MissingPolicy>> kBooleanMissing = {
    {"error", MissingPolicy::kError}, {"false", MissingPolicy::kFalse}};

const std::vector<std::pair<std::string, Transform>> kTransforms = {{"none", Transform::kNone},
                                                                    {"log1p", Transform::kLog1p}};

const std::vector<std::pair<std::string, UnknownPolicy>> kUnknownPolicies = {
    {"other", UnknownPolicy::kOther}, {"error", UnknownPolicy::kError}};

const std::vector<std::pair<std::string, LabelType>> kLabelTypes = {
    {"binary", LabelType::kBinary}, {"multiclass", LabelType::kMulticlass}};

template <typename Enum>
std::string NameOf(Enum value, const std::vector<std::pair<std::string, Enum>>& choices) {
  for (const auto& [name, e] : choices) {
    if (e == value) return name;
  }
  return "?";
}

FeatureSpec ParseNumeric(const json& j, const std::string& where, FeatureSpec spec) {
  CheckKeys(j, where, {"name", "type", "missing", "transform"}, "a numeric feature");
  spec.missing = OptionalChoice(j, where, "missing", MissingPolicy::kMean, kNumericMissing);
  spec.transform = OptionalChoice(j, where, "transform", Transform::kNone, kTransforms);
  return spec;
}

FeatureSpec ParseCategorical(const json& j, const std::string& where, FeatureSpec spec) {
  CheckKeys(j, where, {"name", "type", "vocabulary", "unknown"}, "a categorical feature");
  spec.vocabulary = UniqueValues(Required(j, where, "vocabulary"), Child(where, "vocabulary"), 1);
  spec.unknown = OptionalChoice(j, where, "unknown", UnknownPolicy::kOther, kUnknownPolicies);
  return spec;
}

FeatureSpec ParseBoolean(const json& j, const std::string& where, FeatureSpec spec) {
  CheckKeys(j, where, {"name", "type", "missing"}, "a boolean feature");
  spec.missing = MissingPolicy::kError;
  auto it = j.find("missing");
  // `missing: false` in YAML usually arrives as a JSON boolean.
  if (it != j.end() && it->is_boolean() && !it->get<bool>()) {
    spec.missing = MissingPolicy::kFalse;
  } else if (it != j.end()) {
    spec.missing = Choice(*it, Child(where, "missing"), kBooleanMissing);
  }
  return spec;
}

FeatureSpec ParseText(const json& j, const std::string& where, FeatureSpec spec) {
  CheckKeys(j, where, {"name", "type", "buckets"}, "a text feature");
  spec.buckets = FeatureSchema::kDefaultTextBuckets;
  auto it = j.find("buckets");
  if (it != j.end()) {
    const long long buckets = Integer(*it, Child(where, "buckets"));
    if (buckets < 1 || buckets > FeatureSchema::kMaxTextBuckets) {
      throw ConfigError(Child(where, "buckets"),
                        "expected an integer in [1, " +
                            std::to_string(FeatureSchema::kMaxTextBuckets) + "], got " +
                            std::to_string(buckets));
    }
    spec.buckets = static_cast<int>(buckets);
  }
  return spec;
}

FeatureSpec ParseFeature(const json& j, const std::string& where) {
  RequireObject(j, where);
  FeatureSpec spec;
  spec.name = Name(j, where);
  spec.type = Choice(Required(j, where, "type"), Child(where, "type"), kFeatureTypes);
  switch (spec.type) {
    case FeatureType::kNumeric:
      return ParseNumeric(j, where, std::move(spec));
    case FeatureType::kCategorical:
      return ParseCategorical(j, where, std::move(spec));
    case FeatureType::kBoolean:
      return ParseBoolean(j, where, std::move(spec));
    case FeatureType::kText:
      return ParseText(j, where, std::move(spec));
  }
  return spec;
}

LabelSpec ParseLabel(const json& j, const std::string& where) {
  RequireObject(j, where);
  LabelSpec label;
  label.name = Name(j, where);
  label.type = Choice(Required(j, where, "type"), Child(where, "type"), kLabelTypes);
  if (label.type == LabelType::kBinary) {
    CheckKeys(j, where, {"name", "type", "positive", "negative"}, "a binary label");
    std::string positive = CellValue(Required(j, where, "positive"), Child(where, "positive"));
    std::string negative = CellValue(Required(j, where, "negative"), Child(where, "negative"));
    if (positive == negative) {
      throw ConfigError(Child(where, "negative"),
                        "must differ from positive, both are " + Quoted(positive));
    }
    label.classes = {std::move(negative), std::move(positive)};
  } else {
    CheckKeys(j, where, {"name", "type", "classes"}, "a multiclass label");
    label.classes = UniqueValues(Required(j, where, "classes"), Child(where, "classes"), 2);
  }
  return label;
}

json FeatureToJson(const FeatureSpec& spec) {
  json j = {{"name", spec.name}, {"type", FeatureTypeName(spec.type)}};
  switch (spec.type) {
    case FeatureType::kNumeric:
      j["missing"] = NameOf(spec.missing, kNumericMissing);
      j["transform"] = NameOf(spec.transform, kTransforms);
      break;
    case FeatureType::kCategorical:
      j["vocabulary"] = spec.vocabulary;
      j["unknown"] = NameOf(spec.unknown, kUnknownPolicies);
      break;
    case FeatureType::kBoolean:
      j["missing"] = NameOf(spec.missing, kBooleanMissing);
      break;
    case FeatureType::kText:
      j["buckets"] = spec.buckets;
      break;
  }
  return j;
}

}  // namespace

const char* FeatureTypeName(FeatureType type) {
  switch (type) {
    case FeatureType::kNumeric:
      return "numeric";
    case FeatureType::kCategorical:
      return "categorical";
    case FeatureType::kBoolean:
      return "boolean";
    case FeatureType::kText:
      return "text";
  }
  return "?";
}

FeatureSchema FeatureSchema::FromJson(const json& j, const std::string& where) {
  RequireObject(j, where);
  CheckKeys(j, where, {"label", "features"}, "a schema");
  FeatureSchema schema;
  schema.label_ = ParseLabel(Required(j, where, "label"), Child(where, "label"));

  const std::string features_where = Child(where, "features");
  const json& features = Required(j, where, "features");
  if (!features.is_array() || features.empty()) {
    throw ConfigError(features_where, "expected a non-empty list of features");
  }
  std::set<std::string, std::less<>> names = {schema.label_.name};
  for (std::size_t i = 0; i < features.size(); ++i) {
    const std::string feature_where = Element(features_where, i);
    FeatureSpec spec = ParseFeature(features[i], feature_where);
    if (!names.insert(spec.name).second) {
      throw ConfigError(Child(feature_where, "name"),
                        spec.name == schema.label_.name
                            ? Quoted(spec.name) + " is the label; it cannot also be a feature"
                            : "duplicate feature name " + Quoted(spec.name));
    }
    schema.features_.push_back(std::move(spec));
  }
  return schema;
}

json FeatureSchema::ToJson() const {
  json label = {{"name", label_.name}};
  if (label_.type == LabelType::kBinary) {
    label["type"] = "binary";
    label["positive"] = label_.classes.at(1);
    label["negative"] = label_.classes.at(0);
  } else {
    label["type"] = "multiclass";
    label["classes"] = label_.classes;
  }
  json features = json::array();
  for (const FeatureSpec& spec : features_) features.push_back(FeatureToJson(spec));
  return {{"label", std::move(label)}, {"features", std::move(features)}};
}

std::vector<std::string> FeatureSchema::NumericFeatureNames() const {
  std::vector<std::string> names;
  for (const FeatureSpec& spec : features_) {
    if (spec.type == FeatureType::kNumeric) names.push_back(spec.name);
  }
  return names;
}

}  // namespace fedcrm::data
