#include "core/common/yaml_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/error.h"

namespace fedcrm {
namespace {

TEST(YamlToJsonTest, PlainScalarsFollowTheCoreSchema) {
  const auto json = YamlToJson(R"(
rounds: 30
rate: 0.25
tiny: 1e-5
on: true
vocabulary: [yes, no, on, off]
quoted: "42"
empty:
)",
                               "t.yaml");
  EXPECT_EQ(json["rounds"], 30);
  EXPECT_TRUE(json["rounds"].is_number_integer());
  EXPECT_DOUBLE_EQ(json["rate"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(json["tiny"].get<double>(), 1e-5);
  EXPECT_EQ(json["on"], true);
  EXPECT_EQ(json["vocabulary"], nlohmann::json({"yes", "no", "on", "off"}));
  EXPECT_EQ(json["quoted"], "42");
  EXPECT_TRUE(json["empty"].is_null());
}

TEST(YamlToJsonTest, MalformedYamlNamesSourceAndLine) {
  try {
    YamlToJson("a: [1, 2\nb: 3\n", "bad.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("malformed YAML"), std::string::npos) << e.what();
  }
}

TEST(YamlToJsonTest, MissingFileIsAConfigError) {
  EXPECT_THROW(ReadYamlFile("/nonexistent/fedcrm.yaml"), ConfigError);
}

}  // namespace
}  // namespace fedcrm
