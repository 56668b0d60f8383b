// The /metrics page of a running AggregatorService after a real round: three
// silos over mutual-TLS HTTPS, one dropping out at its training masked input.
// Every family the aggregator documents must be on the page with the values
// the round implies, and the page must pass `promtool check metrics`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "aggregator/aggregator_metrics.h"
#include "aggregator/aggregator_service.h"
#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"
#include "tests/unit/aggregator/https_round.h"
#include "tests/unit/aggregator/test_round.h"

namespace fedcrm::aggregator {
namespace {

const std::vector<std::string> kSilos = {"eu", "us", "ap"};

class LiveMetricsTest : public ::testing::Test {
 protected:
  // One round for the whole suite: it waits out a one-second deadline.
  static void SetUpTestSuite() {
    env_ = new testing::TestEnv;
    pki_ = new testing::TestPki(kSilos);
    service_ = new AggregatorService(pki_->Options(env_->dir() / "data"));
    service_->Start();
    federation_ = new testing::HttpsFederation(*pki_, service_->tls_port());

    auto config = testing::TestConfig(kSilos);
    config["deadlines"] = {{"phaseSeconds", 30}, {"maskedInputSeconds", 1}};
    config["silos"][2]["epsilonBudget"] = nullptr;  // "ap" has no budget
    status_ = federation_->RunRound("r1", config, {"us"});
    // A refused request counts too: a silo may not configure rounds.
    testing::CountingClient eu(*pki_, pki_->clients.at("eu"),
                               "https://127.0.0.1:" + std::to_string(service_->tls_port()),
                               &codes_refused_, &ignored_bytes_);
    eu.Send("PUT", "/v1/rounds/r2", config.dump(), "application/json");

    runtime::HttpsClient plain(runtime::ClientOptions{});
    const std::string base = "http://127.0.0.1:" + std::to_string(service_->metrics_port());
    const auto metrics = plain.Get(base + "/metrics");
    metrics_status_ = metrics.status;
    content_type_ = metrics.content_type;
    page_ = metrics.body;
    healthz_status_ = plain.Get(base + "/healthz").status;
    readyz_status_ = plain.Get(base + "/readyz").status;
  }

  static void TearDownTestSuite() {
    service_->Stop(std::chrono::seconds(1));
    delete federation_;
    delete service_;
    delete pki_;
    delete env_;
  }

  static double Sample(const std::string& series) {
    const auto samples = testing::ParseSamples(page_);
    auto it = samples.find(series);
    EXPECT_NE(it, samples.end()) << series << " is not on the page:\n" << page_;
    return it == samples.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
  }
  static bool Has(const std::string& series) {
    return testing::ParseSamples(page_).count(series) > 0;
  }

  static inline testing::TestEnv* env_ = nullptr;
  static inline testing::TestPki* pki_ = nullptr;
  static inline AggregatorService* service_ = nullptr;
  static inline testing::HttpsFederation* federation_ = nullptr;
  static inline nlohmann::json status_;
  static inline std::map<int, int> codes_refused_;
  static inline size_t ignored_bytes_ = 0;
  static inline int metrics_status_ = 0;
  static inline int healthz_status_ = 0;
  static inline int readyz_status_ = 0;
  static inline std::string content_type_;
  static inline std::string page_;

  static void ExpectRoundSucceededWithoutTheDroppedSilo() {
    ASSERT_EQ(status_["phase"], "succeeded") << status_.dump();
    EXPECT_EQ(status_["contributors"], nlohmann::json({"ap", "eu"}));
    EXPECT_EQ(status_["dropped"], nlohmann::json({"us"}));
    EXPECT_EQ(codes_refused_, (std::map<int, int>{{403, 1}}));
  }

  static void ExpectPlainPortServesMetricsAndProbes() {
    EXPECT_EQ(metrics_status_, 200);
    EXPECT_EQ(content_type_, runtime::kExpositionContentType);
    EXPECT_EQ(healthz_status_, 200);
    EXPECT_EQ(readyz_status_, 200);
  }

  static void ExpectEveryFamilyIsDeclaredWithItsType() {
    const std::map<std::string, std::string> types = testing::ParseTypes(page_);
    const std::map<std::string, std::string> expected = {
        {"fedcrm_rounds_total", "counter"},
        {"fedcrm_round_phase_duration_seconds", "histogram"},
        {"fedcrm_round_participants", "gauge"},
        {"fedcrm_round_dropouts_total", "counter"},
        {"fedcrm_secagg_bytes_received_total", "counter"},
        {"fedcrm_aggregator_requests_total", "counter"},
        {"fedcrm_privacy_epsilon_spent", "gauge"},
        {"fedcrm_privacy_epsilon_budget", "gauge"},
        {"fedcrm_privacy_epsilon_remaining", "gauge"},
        {"fedcrm_privacy_delta", "gauge"}};
    for (const auto& [name, type] : expected) {
      auto it = types.find(name);
      ASSERT_NE(it, types.end()) << name << " is not declared:\n" << page_;
      EXPECT_EQ(it->second, type) << name;
    }
  }

  static void ExpectRoundCountersMatchTheRound() {
    EXPECT_EQ(Sample("fedcrm_rounds_total{result=\"succeeded\"}"), 1);
    EXPECT_EQ(Sample("fedcrm_rounds_total{result=\"failed\"}"), 0);
    EXPECT_EQ(Sample("fedcrm_round_participants"), 2);
    EXPECT_EQ(Sample("fedcrm_round_dropouts_total"), 1);
  }

  static void ExpectEveryPhaseOfBothStagesIsTimedOnce() {
    for (const char* stage : {"statistics", "training"}) {
      for (const char* phase : {"advertise-keys", "share-keys", "masked-input", "unmask"}) {
        const std::string labels = std::string("{phase=\"") + stage + "/" + phase + "\"";
        EXPECT_EQ(Sample("fedcrm_round_phase_duration_seconds_count" + labels + "}"), 1) << labels;
        EXPECT_EQ(Sample("fedcrm_round_phase_duration_seconds_bucket" + labels + ",le=\"+Inf\"}"),
                  1)
            << labels;
        EXPECT_GE(Sample("fedcrm_round_phase_duration_seconds_sum" + labels + "}"), 0) << labels;
      }
    }
    // The training masked input closed on its one-second deadline, not before.
    EXPECT_GE(Sample("fedcrm_round_phase_duration_seconds_sum{phase=\"training/masked-input\"}"),
              1.0);
  }

  static void ExpectRequestsAndBytesMatchWhatTheSilosSent() {
    // Only protocol uploads count, and every one of them was accepted.
    EXPECT_EQ(Sample("fedcrm_secagg_bytes_received_total"),
              static_cast<double>(federation_->bytes_posted()));
    std::map<int, int> codes = federation_->codes();
    for (const auto& [code, n] : codes_refused_) codes[code] += n;
    for (const auto& [code, n] : codes) {
      EXPECT_EQ(Sample("fedcrm_aggregator_requests_total{code=\"" + std::to_string(code) + "\"}"),
                n)
          << code;
    }
    // The silos that kept going polled for survivors until the deadline.
    EXPECT_GT(codes[202], 0);
    EXPECT_EQ(codes[201], 1);
  }

  static void ExpectPrivacyGaugesFollowTheReleaseLog() {
    // One DP release at the config's q, sigma and steps; only contributors pay.
    const double epsilon =
        privacy::EpsilonFromRdp(privacy::SampledGaussianRdp(0.01, 1.1, 20), 1e-5).epsilon;
    ASSERT_TRUE(std::isfinite(epsilon) && epsilon > 0);
    for (const char* silo : {"eu", "ap"}) {
      const std::string labels = std::string("{silo=\"") + silo + "\"}";
      EXPECT_NEAR(Sample("fedcrm_privacy_epsilon_spent" + labels), epsilon, 1e-9 * epsilon) << silo;
      EXPECT_EQ(Sample("fedcrm_privacy_delta" + labels), 1e-5) << silo;
    }
    EXPECT_EQ(Sample("fedcrm_privacy_epsilon_budget{silo=\"eu\"}"), 5.0);
    EXPECT_NEAR(Sample("fedcrm_privacy_epsilon_remaining{silo=\"eu\"}"), 5.0 - epsilon, 1e-9);
    // Without a budget there is nothing to remain.
    EXPECT_FALSE(Has("fedcrm_privacy_epsilon_budget{silo=\"ap\"}"));
    EXPECT_FALSE(Has("fedcrm_privacy_epsilon_remaining{silo=\"ap\"}"));
    // The dropped silo's update was not released, so it spent nothing.
    EXPECT_FALSE(Has("fedcrm_privacy_epsilon_spent{silo=\"us\"}"));
    EXPECT_FALSE(Has("fedcrm_privacy_delta{silo=\"us\"}"));
  }
};

// One test for all the values, so that the round behind them runs once per
// ctest process rather than once per check.
TEST_F(LiveMetricsTest, PageHoldsEveryFamilyWithTheRoundsValues) {
  {
    SCOPED_TRACE("RoundSucceededWithoutTheDroppedSilo");
    ExpectRoundSucceededWithoutTheDroppedSilo();
  }
  {
    SCOPED_TRACE("PlainPortServesMetricsAndProbes");
    ExpectPlainPortServesMetricsAndProbes();
  }
  {
    SCOPED_TRACE("EveryFamilyIsDeclaredWithItsType");
    ExpectEveryFamilyIsDeclaredWithItsType();
  }
  {
    SCOPED_TRACE("RoundCountersMatchTheRound");
    ExpectRoundCountersMatchTheRound();
  }
  {
    SCOPED_TRACE("EveryPhaseOfBothStagesIsTimedOnce");
    ExpectEveryPhaseOfBothStagesIsTimedOnce();
  }
  {
    SCOPED_TRACE("RequestsAndBytesMatchWhatTheSilosSent");
    ExpectRequestsAndBytesMatchWhatTheSilosSent();
  }
  {
    SCOPED_TRACE("PrivacyGaugesFollowTheReleaseLog");
    ExpectPrivacyGaugesFollowTheReleaseLog();
  }
}

TEST_F(LiveMetricsTest, PromtoolAcceptsTheLivePage) {
  const std::string promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) {
    GTEST_SKIP() << "promtool not installed (Debian package 'prometheus'; scripts/deps.sh "
                    "installs it)";
  }
  const auto file = env_->dir() / "metrics.txt";
  std::ofstream(file) << page_;
  const std::string command = promtool + " check metrics < " + file.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output << "\n" << page_;
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace fedcrm::aggregator
