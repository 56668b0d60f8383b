#include "runtime/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "core/common/error.h"

namespace fedcrm::runtime {
namespace {

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(LogTest, WritesOneJsonObjectPerLineWithHeaderFirst) {
  std::ostringstream sink;
  Logger logger(&sink);
  logger.Info("round closed", {{"round", 12}, {"silo", "eu"}, {"ok", true}});
  const std::string text = sink.str();
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find("{\"ts\":"), 0u);
  const auto lines = Lines(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["msg"], "round closed");
  EXPECT_EQ(lines[0]["round"], 12);
  EXPECT_EQ(lines[0]["silo"], "eu");
  EXPECT_TRUE(std::regex_match(lines[0]["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_LT(text.find("\"msg\""), text.find("\"round\""));
}

TEST(LogTest, FiltersByLevel) {
  std::ostringstream sink;
  Logger logger(&sink);
  logger.SetLevel(LogLevel::kWarn);
  logger.Debug("d");
  logger.Info("i");
  logger.Warn("w");
  logger.Error("e");
  const auto lines = Lines(sink.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["level"], "warn");
  EXPECT_EQ(lines[1]["level"], "error");
}

TEST(LogTest, NeverPrintsSecrets) {
  std::ostringstream sink;
  Logger logger(&sink);
  logger.Info("login", {{"key", Redacted("hunter2")},
                        {"db_password", "hunter3"},
                        {"Authorization", "Bearer hunter4"},
                        {"user", "ann"}});
  const std::string text = sink.str();
  EXPECT_EQ(text.find("hunter"), std::string::npos) << text;
  const auto line = Lines(text)[0];
  EXPECT_EQ(line["key"], kRedactedText);
  EXPECT_EQ(line["db_password"], kRedactedText);
  EXPECT_EQ(line["user"], "ann");
  std::ostringstream streamed;
  streamed << Redacted("hunter5");
  EXPECT_EQ(streamed.str(), kRedactedText);
  EXPECT_EQ(Redacted("x").Reveal(), "x");
}

TEST(LogTest, EscapesAndSurvivesHostileText) {
  std::ostringstream sink;
  Logger logger(&sink);
  logger.Info("line\nbreak \"quoted\"",
              {{"bytes", std::string("\xff\xfe bad utf8")}, {"msg", "spoof"}, {"level", "spoof"}});
  const std::string text = sink.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  const auto line = Lines(text)[0];
  EXPECT_EQ(line["msg"], "line\nbreak \"quoted\"");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["field.msg"], "spoof");
}

TEST(LogTest, ConcurrentWritersNeverInterleaveLines) {
  std::ostringstream sink;
  Logger logger(&sink);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) logger.Info("tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Lines(sink.str()).size(), 800u);  // parse() throws on a torn line
}

TEST(LogTest, ParsesLevels) {
  EXPECT_EQ(ParseLogLevel("debug", "--log-level"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("error", "--log-level"), LogLevel::kError);
  try {
    ParseLogLevel("loud", "--log-level");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "--log-level");
    EXPECT_NE(std::string(e.what()).find("'loud'"), std::string::npos);
  }
}

}  // namespace
}  // namespace fedcrm::runtime
