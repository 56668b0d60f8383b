#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "core/common/error.h"

namespace fedcrm::cli {
namespace {

struct Result {
  int code = 0;
  std::string out;
  std::string err;
};

// Runs `fedcrm privacy ARGS` with stdout and stderr captured.
Result Privacy(const Args& args) {
  std::ostringstream out;
  std::ostringstream err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  Result result;
  try {
    result.code = RunPrivacy(args);
  } catch (...) {
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    throw;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

TEST(PrivacyCommandTest, EpsilonPrintsTfPrivacyValue) {
  const Result r = Privacy({"epsilon", "--sampling-rate", "0.0025", "--noise-multiplier", "1.3",
                            "--steps", "6000", "--delta", "1e-5"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "ε = 0.7242 at δ = 1e-05 (optimal RDP order 19)\n");
}

TEST(PrivacyCommandTest, EpsilonComposesRounds) {
  // 10 rounds of 600 steps are the 6000 steps above.
  const Result r = Privacy({"epsilon", "--sampling-rate=0.0025", "--noise-multiplier=1.3",
                            "--steps=600", "--delta=1e-5", "--rounds=10", "--json"});
  ASSERT_EQ(r.code, 0);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_NEAR(doc.at("epsilon").get<double>(), 0.7242234, 1e-6);
  EXPECT_EQ(doc.at("optimalOrder"), 19.0);
  EXPECT_EQ(doc.at("rounds"), 10);
  const Result text = Privacy({"epsilon", "--sampling-rate=0.0025", "--noise-multiplier=1.3",
                               "--steps=600", "--delta=1e-5", "--rounds=10"});
  EXPECT_NE(text.out.find("over 10 rounds of 600 steps"), std::string::npos) << text.out;
}

TEST(PrivacyCommandTest, SigmaMeetsTheTarget) {
  const Result r = Privacy({"sigma", "--epsilon", "0.7242234", "--sampling-rate", "0.0025",
                            "--steps", "6000", "--delta", "1e-5", "--json"});
  ASSERT_EQ(r.code, 0);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_NEAR(doc.at("noiseMultiplier").get<double>(), 1.3, 2e-4);
  EXPECT_LE(doc.at("epsilon").get<double>(), 0.7242234);
  const Result text = Privacy(
      {"sigma", "--epsilon", "1", "--sampling-rate", "0.01", "--steps", "1000", "--delta", "1e-5"});
  EXPECT_EQ(text.out.rfind("σ = ", 0), 0u) << text.out;
}

TEST(PrivacyCommandTest, HelpAndUsage) {
  EXPECT_EQ(Privacy({"--help"}).code, 0);
  const Result epsilon_help = Privacy({"epsilon", "--help"});
  EXPECT_EQ(epsilon_help.code, 0);
  EXPECT_NE(epsilon_help.out.find("--noise-multiplier"), std::string::npos);
  const Result sigma_help = Privacy({"sigma", "--help"});
  EXPECT_EQ(sigma_help.code, 0);
  EXPECT_NE(sigma_help.out.find("--epsilon"), std::string::npos);
  EXPECT_EQ(Privacy({}).code, 2);
  const Result unknown = Privacy({"budget"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("'budget'"), std::string::npos);
}

TEST(PrivacyCommandTest, BadFlagsAreConfigErrorsNamingTheFlag) {
  auto error_of = [](const Args& args) -> std::string {
    try {
      Privacy(args);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(error_of({"epsilon", "--sampling-rate", "1.5", "--noise-multiplier", "1", "--steps",
                      "10", "--delta", "1e-5"})
                .find("--sampling-rate"),
            std::string::npos);
  EXPECT_NE(
      error_of({"epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps", "10"})
          .find("--delta"),
      std::string::npos);
  EXPECT_NE(error_of({"epsilon", "--sampling-rate", "0.1", "--noise-multiplier", "1", "--steps",
                      "10", "--delta", "1e-5", "--rounds", "0"})
                .find("--rounds"),
            std::string::npos);
  EXPECT_NE(error_of({"sigma", "--epsilon", "-1", "--sampling-rate", "0.1", "--steps", "10",
                      "--delta", "1e-5"})
                .find("--epsilon"),
            std::string::npos);
  EXPECT_NE(error_of({"sigma", "--noise-multiplier", "1"}).find("--noise-multiplier"),
            std::string::npos);
  EXPECT_NE(error_of({"epsilon", "extra"}).find("'extra'"), std::string::npos);
}

}  // namespace
}  // namespace fedcrm::cli
