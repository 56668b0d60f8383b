#include "worker/worker_options.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace fedcrm::worker {
namespace {

const Environment kFullEnv = {
    {"FEDCRM_AGGREGATOR_URL", "https://aggregator.fedcrm.svc:8443"},
    {"FEDCRM_ROUND", "churn-r1"},
    {"FEDCRM_SILO", "eu-west"},
    {"FEDCRM_DATA", "/data/eu.csv"},
    {"FEDCRM_TLS_CERT", "/tls/tls.crt"},
    {"FEDCRM_TLS_KEY", "/tls/tls.key"},
    {"FEDCRM_TLS_CA", "/tls/ca.crt"},
};

std::string ErrorOf(const std::vector<std::string>& args, const Environment& env) {
  try {
    ParseWorkerOptions(args, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(WorkerOptionsTest, ReadsEverythingFromTheEnvironment) {
  const WorkerOptions options = ParseWorkerOptions({}, kFullEnv);
  EXPECT_EQ(options.aggregator_url, "https://aggregator.fedcrm.svc:8443");
  EXPECT_EQ(options.round, "churn-r1");
  EXPECT_EQ(options.silo, "eu-west");
  EXPECT_EQ(options.data_path, "/data/eu.csv");
  EXPECT_EQ(options.tls_cert_path, "/tls/tls.crt");
  EXPECT_EQ(options.tls_key_path, "/tls/tls.key");
  EXPECT_EQ(options.ca_path, "/tls/ca.crt");
  EXPECT_FALSE(options.seed.has_value());
  EXPECT_EQ(options.test_fraction, 0.0);
  EXPECT_EQ(options.fail_at, "");
}

TEST(WorkerOptionsTest, FlagWinsOverEnvironment) {
  const WorkerOptions options =
      ParseWorkerOptions({"--silo", "us-east", "--round=churn-r2", "--seed", "42"}, kFullEnv);
  EXPECT_EQ(options.silo, "us-east");
  EXPECT_EQ(options.round, "churn-r2");
  EXPECT_EQ(options.seed, 42u);
  EXPECT_EQ(options.data_path, "/data/eu.csv");
}

TEST(WorkerOptionsTest, FlagsAloneSuffice) {
  const WorkerOptions options = ParseWorkerOptions({"--aggregator-url",
                                                    "https://127.0.0.1:9443/",
                                                    "--round",
                                                    "r",
                                                    "--silo",
                                                    "s",
                                                    "--data",
                                                    "d.csv",
                                                    "--tls-cert",
                                                    "c",
                                                    "--tls-key",
                                                    "k",
                                                    "--ca",
                                                    "ca",
                                                    "--test-fraction",
                                                    "0.25",
                                                    "--split-seed",
                                                    "9",
                                                    "--poll-interval-ms",
                                                    "50",
                                                    "--timeout-seconds",
                                                    "30",
                                                    "--fail-at",
                                                    "training/masked"},
                                                   {});
  EXPECT_EQ(options.aggregator_url, "https://127.0.0.1:9443");  // trailing slash dropped
  EXPECT_EQ(options.test_fraction, 0.25);
  EXPECT_EQ(options.split_seed, 9u);
  EXPECT_EQ(options.poll_interval, std::chrono::milliseconds(50));
  EXPECT_EQ(options.timeout, std::chrono::seconds(30));
  EXPECT_EQ(options.fail_at, "training/masked");
}

TEST(WorkerOptionsTest, MissingRequiredSettingNamesFlagAndVariable) {
  Environment env = kFullEnv;
  env.erase("FEDCRM_DATA");
  const std::string error = ErrorOf({}, env);
  EXPECT_NE(error.find("--data"), std::string::npos) << error;
  EXPECT_NE(error.find("FEDCRM_DATA"), std::string::npos) << error;
  EXPECT_NE(error.find("required"), std::string::npos) << error;
}

TEST(WorkerOptionsTest, EmptyVariableCountsAsMissing) {
  Environment env = kFullEnv;
  env["FEDCRM_SILO"] = "";
  EXPECT_NE(ErrorOf({}, env).find("--silo"), std::string::npos);
}

TEST(WorkerOptionsTest, RejectsMalformedValues) {
  EXPECT_NE(ErrorOf({"--aggregator-url", "http://x:1"}, kFullEnv).find("https://"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--seed", "-1"}, kFullEnv).find("--seed"), std::string::npos);
  EXPECT_NE(ErrorOf({"--test-fraction", "1"}, kFullEnv).find("[0, 1)"), std::string::npos);
  EXPECT_NE(ErrorOf({"--poll-interval-ms", "0"}, kFullEnv).find("--poll-interval-ms"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--fail-at", "training"}, kFullEnv).find("STAGE/STEP"), std::string::npos);
  EXPECT_NE(ErrorOf({"--fail-at", "training/train"}, kFullEnv).find("STAGE/STEP"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--log-level", "loud"}, kFullEnv).find("--log-level"), std::string::npos);
  const Environment bad_env = [] {
    Environment env = kFullEnv;
    env["FEDCRM_SEED"] = "abc";
    return env;
  }();
  EXPECT_NE(ErrorOf({}, bad_env).find("FEDCRM_SEED"), std::string::npos);
}

TEST(WorkerOptionsTest, RejectsUnknownFlagsAndPositionals) {
  EXPECT_NE(ErrorOf({"--sailo", "x"}, kFullEnv).find("unknown flag"), std::string::npos);
  EXPECT_NE(ErrorOf({"extra"}, kFullEnv).find("only flags"), std::string::npos);
  EXPECT_NE(ErrorOf({"--round"}, kFullEnv).find("needs a value"), std::string::npos);
}

TEST(WorkerOptionsTest, UsageListsEveryVariable) {
  const std::string usage = WorkerUsage();
  for (const auto& [name, value] : kFullEnv) {
    EXPECT_NE(usage.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace fedcrm::worker
