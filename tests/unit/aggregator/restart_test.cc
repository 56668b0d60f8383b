// An aggregator restarted on the same data directory: what it released is
// still served by digest, and every silo's privacy spending, replayed from
// the release log, is what it was and keeps accumulating.
#include <gtest/gtest.h>

#include <sstream>

#include "aggregator/aggregator_service.h"
#include "aggregator/release_log.h"
#include "aggregator/round_registry.h"
#include "tests/unit/aggregator/https_round.h"
#include "tests/unit/aggregator/test_round.h"

namespace fedcrm::aggregator {
namespace {

const std::vector<std::string> kSilos = {"eu", "us", "ap"};

// The privacy families of a /metrics page, HELP and TYPE lines included.
std::string PrivacyLines(const std::string& page) {
  std::istringstream lines(page);
  std::string line, out;
  while (std::getline(lines, line)) {
    if (line.find("fedcrm_privacy_") != std::string::npos) out += line + "\n";
  }
  return out;
}

std::string MetricsPage(const AggregatorService& service) {
  runtime::HttpsClient plain(runtime::ClientOptions{});
  const auto response =
      plain.Get("http://127.0.0.1:" + std::to_string(service.metrics_port()) + "/metrics");
  EXPECT_EQ(response.status, 200);
  return response.body;
}

TEST(AggregatorRestartTest, ReleasedModelsAndPrivacySpendingSurviveARestart) {
  testing::TestEnv env;
  const testing::TestPki pki(kSilos);
  const auto data_dir = env.dir() / "data";
  const nlohmann::json config = testing::TestConfig(kSilos);

  std::string digest, model_bytes, privacy_before;
  {
    AggregatorService first(pki.Options(data_dir));
    first.Start();
    testing::HttpsFederation federation(pki, first.tls_port());
    const auto status = federation.RunRound("r1", config, {});
    ASSERT_EQ(status["phase"], "succeeded") << status.dump();
    digest = status["model"].get<std::string>();
    const auto model = federation.silo("eu").Send("GET", "/v1/models/" + digest);
    ASSERT_EQ(model.status, 200);
    model_bytes = model.body;
    privacy_before = PrivacyLines(MetricsPage(first));
    ASSERT_NE(privacy_before.find("fedcrm_privacy_epsilon_spent{silo=\"eu\"}"), std::string::npos)
        << privacy_before;
    first.Stop(std::chrono::seconds(1));
  }

  AggregatorService second(pki.Options(data_dir));
  // Nothing has happened yet in this process, but the spending is known.
  EXPECT_EQ(PrivacyLines(second.metrics().Render()), privacy_before);
  second.Start();
  testing::HttpsFederation federation(pki, second.tls_port());
  const auto model = federation.silo("ap").Send("GET", "/v1/models/" + digest);
  ASSERT_EQ(model.status, 200);
  EXPECT_EQ(model.content_type, "application/octet-stream");
  EXPECT_EQ(model.body, model_bytes);
  const std::string page = MetricsPage(second);
  EXPECT_EQ(PrivacyLines(page), privacy_before);
  // Round counters are per process; they start again from zero.
  EXPECT_NE(page.find("fedcrm_rounds_total{result=\"succeeded\"} 0"), std::string::npos) << page;

  // The next round continues the line from the released model (its card holds
  // the statistics, so only the training stage runs) and charges on top of
  // the replayed spending.
  nlohmann::json next = config;
  next["baseModel"] = digest;
  const auto status = federation.RunRound("r2", next, {});
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["stages"], nlohmann::json({"training"}));
  EXPECT_EQ(status["baseModel"], digest);
  const auto spending = second.release_log().Spending();
  ASSERT_EQ(spending.size(), 3u);
  ASSERT_EQ(second.release_log().Records().size(), 2u);
  const auto samples = testing::ParseSamples(MetricsPage(second));
  const auto before = testing::ParseSamples(privacy_before);
  for (const SiloSpending& silo : spending) {
    EXPECT_EQ(silo.releases, 2) << silo.silo;
    const std::string series = "fedcrm_privacy_epsilon_spent{silo=\"" + silo.silo + "\"}";
    EXPECT_DOUBLE_EQ(samples.at(series), silo.epsilon_spent) << series;
    EXPECT_GT(samples.at(series), before.at(series)) << series;
  }
  second.Stop(std::chrono::seconds(1));
}

// A coordinator (the operator) that restarts with the aggregator must be able
// to ask about, and safely re-send, a round released by the previous process.
TEST(AggregatorRestartTest, AReleasedRoundIsAnsweredFromTheReleaseLogAndNeverRunsAgain) {
  testing::TestEnv env;
  const testing::TestPki pki(kSilos);
  const auto data_dir = env.dir() / "data";
  const nlohmann::json config = testing::TestConfig(kSilos);

  nlohmann::json released;
  {
    AggregatorService first(pki.Options(data_dir));
    first.Start();
    testing::HttpsFederation federation(pki, first.tls_port());
    released = federation.RunRound("r1", config, {});
    ASSERT_EQ(released["phase"], "succeeded") << released.dump();
    first.Stop(std::chrono::seconds(1));
  }

  AggregatorService second(pki.Options(data_dir));
  second.Start();
  testing::HttpsFederation federation(pki, second.tls_port());
  const auto get = federation.coordinator().Send("GET", "/v1/rounds/r1");
  ASSERT_EQ(get.status, 200) << get.body;
  const nlohmann::json status = nlohmann::json::parse(get.body);
  EXPECT_EQ(status["phase"], "succeeded");
  EXPECT_EQ(status["model"], released["model"]);
  EXPECT_EQ(status["baseModel"], released["baseModel"]);
  EXPECT_EQ(status["contributors"], released["contributors"]);
  EXPECT_EQ(status["dropped"], released["dropped"]);
  EXPECT_EQ(status["config"], released["config"]);
  EXPECT_EQ(status["restoredFromReleaseLog"], true);

  // A silo on the roster may read it; a stranger may not.
  EXPECT_EQ(federation.silo("eu").Send("GET", "/v1/rounds/r1").status, 200);

  // The same config again: 200, nothing trains, nothing is charged twice.
  const auto same =
      federation.coordinator().Send("PUT", "/v1/rounds/r1", config.dump(), "application/json");
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(nlohmann::json::parse(same.body)["model"], released["model"]);
  EXPECT_EQ(second.release_log().Records().size(), 1u);
  EXPECT_EQ(second.registry().Find("r1"), nullptr);

  // Another config under the released id: a conflict naming the model.
  nlohmann::json changed = config;
  changed["seed"] = 99;
  const auto conflict =
      federation.coordinator().Send("PUT", "/v1/rounds/r1", changed.dump(), "application/json");
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_NE(conflict.body.find("already released"), std::string::npos) << conflict.body;

  // Late protocol messages for it are refused, not mistaken for a new round.
  const auto late = federation.silo("us").Send("POST", "/v1/rounds/r1/training/keys", "xx",
                                               "application/octet-stream");
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(federation.coordinator().Send("GET", "/v1/rounds/r9").status, 404);
  second.Stop(std::chrono::seconds(1));
}

}  // namespace
}  // namespace fedcrm::aggregator
