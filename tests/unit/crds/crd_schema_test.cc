// Static checks of the CustomResourceDefinitions in crds/ and of the examples
// in examples/kubernetes/: the structural rules the API server and `kubectl
// explain` rely on, and a small OpenAPI v3 validator (types, required fields,
// enums, bounds, lengths, patterns) that every example must pass. CEL rules
// need a real API server; tests/integration/ covers them.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace fedcrm::crds {
namespace {

std::string SourcePath(const std::string& relative) {
  return std::string(FEDCRM_SOURCE_DIR) + "/" + relative;
}

struct CrdCase {
  std::string file;
  std::string kind;
  std::string plural;
  std::string short_name;
  std::vector<std::string> examples;
};

void PrintTo(const CrdCase& c, std::ostream* os) { *os << c.kind; }

const std::vector<CrdCase>& Cases() {
  static const std::vector<CrdCase> kCases = {
      {"crds/fedcrm.io_regionsilos.yaml",
       "RegionSilo",
       "regionsilos",
       "silo",
       {"examples/kubernetes/regionsilo-eu-west.yaml",
        "examples/kubernetes/regionsilo-us-east.yaml",
        "examples/kubernetes/regionsilo-apac-southeast.yaml"}},
      {"crds/fedcrm.io_federatedrounds.yaml",
       "FederatedRound",
       "federatedrounds",
       "fr",
       {"examples/kubernetes/federatedround-churn.yaml"}},
      {"crds/fedcrm.io_federatedmodels.yaml",
       "FederatedModel",
       "federatedmodels",
       "fm",
       {"examples/kubernetes/federatedmodel-churn.yaml"}},
  };
  return kCases;
}

YAML::Node Load(const std::string& relative) { return YAML::LoadFile(SourcePath(relative)); }

YAML::Node Schema(const YAML::Node& crd) {
  return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

// ---- YAML scalars as JSON values --------------------------------------------

enum class Kind { kNull, kBool, kInteger, kNumber, kString, kObject, kArray };

// YAML 1.2 core-schema resolution of a scalar; a quoted scalar is a string.
Kind KindOf(const YAML::Node& node) {
  if (node.IsMap()) return Kind::kObject;
  if (node.IsSequence()) return Kind::kArray;
  if (node.IsNull()) return Kind::kNull;
  if (node.Tag() == "!") return Kind::kString;
  static const std::regex kBool("true|True|TRUE|false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat(
      "[-+]?([.][0-9]+|[0-9]+([.][0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?[.](inf|Inf|INF)|[.](nan|NaN|"
      "NAN)");
  const std::string& s = node.Scalar();
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Kind::kNull;
  if (std::regex_match(s, kBool)) return Kind::kBool;
  if (std::regex_match(s, kInt)) return Kind::kInteger;
  if (std::regex_match(s, kFloat)) return Kind::kNumber;
  return Kind::kString;
}

bool Matches(Kind kind, const std::string& type) {
  if (type == "object") return kind == Kind::kObject;
  if (type == "array") return kind == Kind::kArray;
  if (type == "string") return kind == Kind::kString;
  if (type == "integer") return kind == Kind::kInteger;
  if (type == "number") return kind == Kind::kInteger || kind == Kind::kNumber;
  if (type == "boolean") return kind == Kind::kBool;
  return false;
}

bool Flag(const YAML::Node& schema, const char* key) {
  return schema[key] && schema[key].as<bool>();
}

// ---- the validator -----------------------------------------------------------

class Validator {
 public:
  std::vector<std::string> Validate(const YAML::Node& schema, const YAML::Node& value) {
    errors_.clear();
    Check(schema, value, "");
    return errors_;
  }

 private:
  void Fail(const std::string& path, const std::string& what) {
    errors_.push_back((path.empty() ? "<root>" : path) + ": " + what);
  }

  void Check(const YAML::Node& schema, const YAML::Node& value, const std::string& path) {
    const Kind kind = KindOf(value);
    if (Flag(schema, "x-kubernetes-int-or-string")) {
      if (kind != Kind::kInteger && kind != Kind::kString)
        Fail(path, "expected an integer or a string");
    } else if (!Matches(kind, schema["type"].as<std::string>())) {
      Fail(path, "expected type " + schema["type"].as<std::string>());
      return;
    }
    if (schema["enum"]) CheckEnum(schema["enum"], value, kind, path);
    switch (kind) {
      case Kind::kObject:
        CheckObject(schema, value, path);
        break;
      case Kind::kArray:
        CheckArray(schema, value, path);
        break;
      case Kind::kString:
        CheckString(schema, value.Scalar(), path);
        break;
      case Kind::kInteger:
      case Kind::kNumber:
        CheckNumber(schema, value.as<double>(), path);
        break;
      default:
        break;
    }
  }

  void CheckEnum(const YAML::Node& allowed, const YAML::Node& value, Kind kind,
                 const std::string& path) {
    for (const auto& option : allowed) {
      const bool numeric = kind == Kind::kInteger || kind == Kind::kNumber;
      if (numeric ? option.as<double>() == value.as<double>() : option.Scalar() == value.Scalar()) {
        return;
      }
    }
    Fail(path, "unsupported value '" + value.Scalar() + "' (not in enum)");
  }

  void CheckObject(const YAML::Node& schema, const YAML::Node& value, const std::string& path) {
    const std::string prefix = path.empty() ? "" : path + ".";
    for (const auto& key : schema["required"]) {
      if (!value[key.as<std::string>()]) Fail(prefix + key.as<std::string>(), "required");
    }
    if (schema["maxProperties"] && value.size() > schema["maxProperties"].as<size_t>()) {
      Fail(path, "too many properties");
    }
    const YAML::Node properties = schema["properties"];
    const YAML::Node additional = schema["additionalProperties"];
    if (!properties && !additional) return;  // e.g. metadata: the API server owns its schema
    for (const auto& entry : value) {
      const std::string key = entry.first.as<std::string>();
      if (properties && properties[key]) {
        Check(properties[key], entry.second, prefix + key);
      } else if (additional) {
        Check(additional, entry.second, prefix + key);
      } else {
        Fail(prefix + key, "unknown field");
      }
    }
  }

  void CheckArray(const YAML::Node& schema, const YAML::Node& value, const std::string& path) {
    if (schema["minItems"] && value.size() < schema["minItems"].as<size_t>()) {
      Fail(path, "too few items");
    }
    if (schema["maxItems"] && value.size() > schema["maxItems"].as<size_t>()) {
      Fail(path, "too many items");
    }
    const std::string list_type =
        schema["x-kubernetes-list-type"] ? schema["x-kubernetes-list-type"].as<std::string>() : "";
    std::set<std::string> seen;
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string element = path + "[" + std::to_string(i) + "]";
      Check(schema["items"], value[i], element);
      std::string identity;
      if (list_type == "set" && value[i].IsScalar()) identity = value[i].Scalar();
      if (list_type == "map" && value[i].IsMap()) {
        for (const auto& key : schema["x-kubernetes-list-map-keys"]) {
          const YAML::Node part = value[i][key.as<std::string>()];
          identity += (part && part.IsScalar() ? part.Scalar() : "") + "\x1f";
        }
      }
      if (!identity.empty() && !seen.insert(identity).second) Fail(element, "duplicate entry");
    }
  }

  void CheckString(const YAML::Node& schema, const std::string& s, const std::string& path) {
    if (schema["minLength"] && s.size() < schema["minLength"].as<size_t>()) {
      Fail(path, "shorter than minLength");
    }
    if (schema["maxLength"] && s.size() > schema["maxLength"].as<size_t>()) {
      Fail(path, "longer than maxLength");
    }
    if (schema["pattern"] &&
        !std::regex_search(s, std::regex(schema["pattern"].as<std::string>()))) {
      Fail(path, "'" + s + "' does not match " + schema["pattern"].as<std::string>());
    }
  }

  void CheckNumber(const YAML::Node& schema, double x, const std::string& path) {
    if (schema["minimum"]) {
      const double min = schema["minimum"].as<double>();
      if (Flag(schema, "exclusiveMinimum") ? !(x > min) : !(x >= min)) {
        Fail(path, "below the minimum" +
                       std::string(Flag(schema, "exclusiveMinimum") ? " (exclusive)" : ""));
      }
    }
    if (schema["maximum"]) {
      const double max = schema["maximum"].as<double>();
      if (Flag(schema, "exclusiveMaximum") ? !(x < max) : !(x <= max)) {
        Fail(path, "above the maximum" +
                       std::string(Flag(schema, "exclusiveMaximum") ? " (exclusive)" : ""));
      }
    }
  }

  std::vector<std::string> errors_;
};

std::vector<std::string> ValidateAgainst(const YAML::Node& crd, const YAML::Node& object) {
  return Validator().Validate(Schema(crd), object);
}

// Calls `visit(node, path)` for every schema node: properties, items and
// additionalProperties, depth first.
void Walk(const YAML::Node& schema, const std::string& path,
          const std::function<void(const YAML::Node&, const std::string&)>& visit) {
  visit(schema, path);
  if (schema["properties"]) {
    for (const auto& entry : schema["properties"]) {
      Walk(entry.second, path + "." + entry.first.as<std::string>(), visit);
    }
  }
  if (schema["items"]) Walk(schema["items"], path + "[]", visit);
  if (schema["additionalProperties"] && schema["additionalProperties"].IsMap()) {
    Walk(schema["additionalProperties"], path + "{}", visit);
  }
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "\n  " + line;
  return out;
}

// ---- the CRDs ----------------------------------------------------------------

class CrdTest : public ::testing::TestWithParam<CrdCase> {
 protected:
  YAML::Node crd_ = Load(GetParam().file);
};

TEST_P(CrdTest, NamesGroupVersionAndScope) {
  const CrdCase& c = GetParam();
  EXPECT_EQ(crd_["apiVersion"].as<std::string>(), "apiextensions.k8s.io/v1");
  EXPECT_EQ(crd_["kind"].as<std::string>(), "CustomResourceDefinition");
  EXPECT_EQ(crd_["metadata"]["name"].as<std::string>(), c.plural + ".fedcrm.io");
  const YAML::Node spec = crd_["spec"];
  EXPECT_EQ(spec["group"].as<std::string>(), "fedcrm.io");
  EXPECT_EQ(spec["scope"].as<std::string>(), "Namespaced");
  EXPECT_EQ(spec["names"]["kind"].as<std::string>(), c.kind);
  EXPECT_EQ(spec["names"]["plural"].as<std::string>(), c.plural);
  EXPECT_EQ(spec["names"]["shortNames"].as<std::vector<std::string>>(),
            std::vector<std::string>{c.short_name});
  EXPECT_EQ(spec["names"]["categories"].as<std::vector<std::string>>(),
            std::vector<std::string>{"fedcrm"});
  ASSERT_EQ(spec["versions"].size(), 1u);
  const YAML::Node version = spec["versions"][0];
  EXPECT_EQ(version["name"].as<std::string>(), "v1alpha1");
  EXPECT_TRUE(version["served"].as<bool>());
  EXPECT_TRUE(version["storage"].as<bool>());
  ASSERT_TRUE(version["subresources"]["status"]) << "status subresource missing";
  EXPECT_TRUE(version["subresources"]["status"].IsMap());
}

TEST_P(CrdTest, EverySchemaNodeHasATypeAndADescription) {
  std::vector<std::string> problems;
  Walk(Schema(crd_), "", [&](const YAML::Node& node, const std::string& path) {
    if (!node["type"] && !Flag(node, "x-kubernetes-int-or-string"))
      problems.push_back(path + ": no type");
    // The API server forbids anything but `type` on the top-level metadata
    // (kube-apiserver refuses the CRD; tests/kube/crds-test.sh checks it).
    if (path == ".metadata") return;
    if (!node["description"] || node["description"].as<std::string>().size() < 8) {
      problems.push_back(path + ": no description");
    }
  });
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST_P(CrdTest, SchemaIsStructural) {
  std::vector<std::string> problems;
  Walk(Schema(crd_), "", [&](const YAML::Node& node, const std::string& path) {
    if (node["x-kubernetes-preserve-unknown-fields"]) problems.push_back(path + ": free-form");
    for (const char* banned : {"anyOf", "oneOf", "allOf", "not", "$ref"}) {
      if (node[banned]) problems.push_back(path + ": uses " + banned);
    }
    const std::string type = node["type"] ? node["type"].as<std::string>() : "";
    if (type == "object" && !node["properties"] && !node["additionalProperties"] &&
        path != ".metadata") {
      problems.push_back(path + ": an object without properties");
    }
    if (type == "array" && !node["items"]) problems.push_back(path + ": an array without items");
    for (const auto& key : node["required"]) {
      if (!node["properties"][key.as<std::string>()]) {
        problems.push_back(path + ": requires unknown field " + key.as<std::string>());
      }
    }
    // Map-list keys must always be present, or the API server refuses the CRD.
    for (const auto& key : node["x-kubernetes-list-map-keys"]) {
      bool required = false;
      for (const auto& r : node["items"]["required"])
        required |= r.as<std::string>() == key.as<std::string>();
      if (!required)
        problems.push_back(path + ": map key " + key.as<std::string>() + " not required");
    }
    if (node["default"]) {
      for (const auto& error : Validator().Validate(node, node["default"])) {
        problems.push_back(path + ": bad default: " + error);
      }
    }
    if (node["enum"]) {
      for (const auto& option : node["enum"]) {
        if (!Matches(KindOf(option), type))
          problems.push_back(path + ": enum value of the wrong type");
      }
    }
    for (const auto& rule : node["x-kubernetes-validations"]) {
      if (!rule["rule"] || !rule["message"])
        problems.push_back(path + ": a CEL rule without a message");
    }
  });
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

// Resolves a printer column's JSONPath (".status.conditions[?(@.type=="Ready")].status")
// in the schema.
bool PathExists(const YAML::Node& root, const std::string& json_path, std::string* why) {
  // reset(), not operator=, which would overwrite the node it refers to.
  YAML::Node node;
  node.reset(root);
  size_t pos = 0;
  if (json_path.rfind(".metadata.", 0) == 0) return true;  // ObjectMeta, not in our schema
  while (pos < json_path.size()) {
    if (json_path[pos] != '.') {
      *why = "expected '.' at " + std::to_string(pos);
      return false;
    }
    const size_t end = json_path.find_first_of(".[", pos + 1);
    const std::string name = json_path.substr(pos + 1, end - pos - 1);
    if (!node["properties"] || !node["properties"][name]) {
      *why = "no field " + name;
      return false;
    }
    node.reset(node["properties"][name]);
    pos = end == std::string::npos ? json_path.size() : end;
    if (pos < json_path.size() && json_path[pos] == '[') {
      const size_t close = json_path.find(']', pos);
      const std::string filter = json_path.substr(pos, close - pos + 1);
      if (!node["items"]) {
        *why = name + " is not a list";
        return false;
      }
      node.reset(node["items"]);
      std::smatch match;
      if (std::regex_match(filter, match, std::regex(R"(\[\?\(@\.(\w+)==".*"\)\])")) &&
          !node["properties"][match[1].str()]) {
        *why = "the filter names no field " + match[1].str();
        return false;
      }
      pos = close + 1;
    }
  }
  return true;
}

TEST_P(CrdTest, PrinterColumnsPointAtExistingFields) {
  const YAML::Node columns = crd_["spec"]["versions"][0]["additionalPrinterColumns"];
  ASSERT_TRUE(columns && columns.size() >= 4u);
  bool has_age = false;
  for (const auto& column : columns) {
    const std::string path = column["jsonPath"].as<std::string>();
    std::string why;
    EXPECT_TRUE(PathExists(Schema(crd_), path, &why))
        << column["name"] << " " << path << ": " << why;
    EXPECT_TRUE(column["name"] && column["type"]);
    has_age |= column["name"].as<std::string>() == "Age" && path == ".metadata.creationTimestamp";
  }
  EXPECT_TRUE(has_age);
}

TEST(PathExistsTest, RejectsMissingFields) {
  const YAML::Node schema = Schema(Load("crds/fedcrm.io_regionsilos.yaml"));
  std::string why;
  EXPECT_TRUE(PathExists(schema, R"(.status.conditions[?(@.type=="Ready")].status)", &why));
  EXPECT_FALSE(PathExists(schema, ".status.ledger.epsilonSpnt", &why));
  EXPECT_FALSE(PathExists(schema, R"(.status.conditions[?(@.kind=="Ready")].status)", &why));
  EXPECT_FALSE(PathExists(schema, ".spec.region[0]", &why));
}

TEST_P(CrdTest, ConditionsHaveTheMetav1Shape) {
  const YAML::Node conditions = Schema(crd_)["properties"]["status"]["properties"]["conditions"];
  ASSERT_TRUE(conditions);
  EXPECT_EQ(conditions["x-kubernetes-list-type"].as<std::string>(), "map");
  const YAML::Node item = conditions["items"];
  EXPECT_EQ(
      item["required"].as<std::vector<std::string>>(),
      (std::vector<std::string>{"type", "status", "lastTransitionTime", "reason", "message"}));
  EXPECT_EQ(item["properties"]["status"]["enum"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"True", "False", "Unknown"}));
  EXPECT_EQ(item["properties"]["lastTransitionTime"]["format"].as<std::string>(), "date-time");
  EXPECT_EQ(item["properties"]["observedGeneration"]["type"].as<std::string>(), "integer");
  EXPECT_TRUE(Schema(crd_)["properties"]["status"]["properties"]["observedGeneration"]);
}

TEST_P(CrdTest, ExamplesValidate) {
  for (const auto& file : GetParam().examples) {
    const YAML::Node example = Load(file);
    EXPECT_EQ(example["apiVersion"].as<std::string>(), "fedcrm.io/v1alpha1") << file;
    EXPECT_EQ(example["kind"].as<std::string>(), GetParam().kind) << file;
    const auto errors = ValidateAgainst(crd_, example);
    EXPECT_TRUE(errors.empty()) << file << Join(errors);
  }
}

INSTANTIATE_TEST_SUITE_P(AllCrds, CrdTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.kind; });

// ---- cross-CRD consistency ---------------------------------------------------

TEST(CrdConsistencyTest, RoundTemplateIsAFederatedRoundSpec) {
  const YAML::Node round =
      Schema(Load("crds/fedcrm.io_federatedrounds.yaml"))["properties"]["spec"];
  const YAML::Node tmpl =
      Schema(Load("crds/fedcrm.io_federatedmodels.yaml"))["properties"]["spec"]["properties"]
                                                         ["roundTemplate"]["properties"]["spec"];
  for (const char* key : {"properties", "required", "x-kubernetes-validations"}) {
    EXPECT_EQ(YAML::Dump(tmpl[key]), YAML::Dump(round[key])) << key;
  }
}

TEST(CrdConsistencyTest, ConditionSchemasAreIdentical) {
  std::set<std::string> shapes;
  for (const auto& c : Cases()) {
    YAML::Node item = YAML::Clone(
        Schema(Load(c.file))["properties"]["status"]["properties"]["conditions"]["items"]);
    item.remove("description");
    item["properties"]["type"].remove("description");
    shapes.insert(YAML::Dump(item));
  }
  EXPECT_EQ(shapes.size(), 1u);
}

// The simulation file mirrors FederatedRound.spec: every key it uses under
// spec.round must exist in the CRD, with the simulation's one extension, "auto".
TEST(CrdConsistencyTest, SimulationRoundFieldsExistInFederatedRound) {
  const YAML::Node spec = Schema(Load("crds/fedcrm.io_federatedrounds.yaml"))["properties"]["spec"];
  for (const char* file :
       {"examples/churn.yaml", "examples/lead-scoring.yaml", "examples/service.yaml"}) {
    YAML::Node round = YAML::Clone(Load(file)["spec"]["round"]);
    round["privacy"]["noiseMultiplier"] = 1.0;  // "auto" is calibrated by fedcrm simulate
    round["siloSelector"] = YAML::Node(YAML::NodeType::Map);
    round["minParticipants"] = 2;
    const auto errors = Validator().Validate(spec, round);
    EXPECT_TRUE(errors.empty()) << file << Join(errors);
  }
}

// ---- the validator can fail ----------------------------------------------------

class InvalidExampleTest : public ::testing::Test {
 protected:
  std::vector<std::string> Errors(const std::string& crd, const std::string& example,
                                  const std::function<void(YAML::Node&)>& mutate) {
    YAML::Node object = YAML::Clone(Load(example));
    mutate(object);
    return ValidateAgainst(Load(crd), object);
  }
  static bool Mentions(const std::vector<std::string>& errors, const std::string& text) {
    for (const auto& e : errors) {
      if (e.find(text) != std::string::npos) return true;
    }
    return false;
  }
  const std::string silo_crd_ = "crds/fedcrm.io_regionsilos.yaml";
  const std::string silo_ = "examples/kubernetes/regionsilo-us-east.yaml";
  const std::string round_crd_ = "crds/fedcrm.io_federatedrounds.yaml";
  const std::string round_ = "examples/kubernetes/federatedround-churn.yaml";
};

TEST_F(InvalidExampleTest, EpsilonMustBePositive) {
  const auto errors =
      Errors(silo_crd_, silo_, [](YAML::Node& o) { o["spec"]["privacyBudget"]["epsilon"] = 0; });
  EXPECT_TRUE(Mentions(errors, "spec.privacyBudget.epsilon: below the minimum (exclusive)"))
      << Join(errors);
}

TEST_F(InvalidExampleTest, DeltaMustBeBelowOne) {
  const auto errors =
      Errors(silo_crd_, silo_, [](YAML::Node& o) { o["spec"]["privacyBudget"]["delta"] = 1; });
  EXPECT_TRUE(Mentions(errors, "spec.privacyBudget.delta: above the maximum (exclusive)"))
      << Join(errors);
}

TEST_F(InvalidExampleTest, SamplingRateAtMostOne) {
  const auto errors =
      Errors(round_crd_, round_, [](YAML::Node& o) { o["spec"]["privacy"]["samplingRate"] = 1.5; });
  EXPECT_TRUE(Mentions(errors, "spec.privacy.samplingRate: above the maximum")) << Join(errors);
  EXPECT_TRUE(Errors(round_crd_, round_, [](YAML::Node& o) {
                o["spec"]["privacy"]["samplingRate"] = 1;
              }).empty());
}

TEST_F(InvalidExampleTest, NoiseMultiplierMustBePositiveAndANumber) {
  EXPECT_FALSE(Errors(round_crd_, round_, [](YAML::Node& o) {
                 o["spec"]["privacy"]["noiseMultiplier"] = 0;
               }).empty());
  const auto errors = Errors(
      round_crd_, round_, [](YAML::Node& o) { o["spec"]["privacy"]["noiseMultiplier"] = "auto"; });
  EXPECT_TRUE(Mentions(errors, "spec.privacy.noiseMultiplier: expected type number"))
      << Join(errors);
}

TEST_F(InvalidExampleTest, EnumsRequiredFieldsAndUnknownFields) {
  auto errors =
      Errors(silo_crd_, silo_, [](YAML::Node& o) { o["spec"]["jurisdiction"] = "HIPAA"; });
  EXPECT_TRUE(Mentions(errors, "spec.jurisdiction: unsupported value 'HIPAA'")) << Join(errors);
  errors = Errors(silo_crd_, silo_, [](YAML::Node& o) { o["spec"].remove("region"); });
  EXPECT_TRUE(Mentions(errors, "spec.region: required")) << Join(errors);
  errors =
      Errors(silo_crd_, silo_, [](YAML::Node& o) { o["spec"]["privacyBudget"]["epsilom"] = 1; });
  EXPECT_TRUE(Mentions(errors, "spec.privacyBudget.epsilom: unknown field")) << Join(errors);
  errors = Errors(round_crd_, round_,
                  [](YAML::Node& o) { o["spec"]["secureAggregation"]["modulusBits"] = 48; });
  EXPECT_TRUE(Mentions(errors, "spec.secureAggregation.modulusBits: unsupported value"))
      << Join(errors);
}

TEST_F(InvalidExampleTest, PatternsListsAndQuotedScalars) {
  auto errors = Errors(round_crd_, round_,
                       [](YAML::Node& o) { o["spec"]["baseModel"]["digest"] = "sha256:ABC"; });
  EXPECT_TRUE(Mentions(errors, "spec.baseModel.digest: 'sha256:ABC' does not match"))
      << Join(errors);
  errors = Errors(round_crd_, round_, [](YAML::Node& o) {
    o["spec"]["schema"]["features"].push_back(YAML::Clone(o["spec"]["schema"]["features"][0]));
  });
  EXPECT_TRUE(Mentions(errors, "spec.schema.features[13]: duplicate entry")) << Join(errors);
  // An unquoted yes/no is a string in YAML 1.2, but a plain number is not.
  errors = Errors(round_crd_, round_,
                  [](YAML::Node& o) { o["spec"]["schema"]["label"]["positive"] = 1; });
  EXPECT_TRUE(Mentions(errors, "spec.schema.label.positive: expected type string")) << Join(errors);
  errors = Errors(round_crd_, round_, [](YAML::Node& o) { o["spec"]["minParticipants"] = 1; });
  EXPECT_TRUE(Mentions(errors, "spec.minParticipants: below the minimum")) << Join(errors);
}

}  // namespace
}  // namespace fedcrm::crds
