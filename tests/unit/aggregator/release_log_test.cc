#include "aggregator/release_log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"
#include "tests/unit/aggregator/test_round.h"

namespace fedcrm::aggregator {
namespace {

ReleaseRecord Record(const std::string& round, bool dp = true) {
  ReleaseRecord r;
  r.round = round;
  r.model_line = "line";
  r.digest = "sha256:" + std::string(64, 'b');
  for (const char* silo : {"eu", "us"}) {
    SiloCharge c;
    c.silo = silo;
    c.private_release = dp;
    c.sampling_rate = 0.01;
    c.noise_multiplier = 1.1;
    c.steps = 100;
    c.delta = 1e-5;
    c.budget = std::string(silo) == "eu" ? 4.0 : 0.0;
    r.silos.push_back(c);
  }
  return r;
}

class ReleaseLogTest : public ::testing::Test {
 protected:
  std::filesystem::path Path() const { return env_.dir() / "log.jsonl"; }
  testing::TestEnv env_;
};

TEST_F(ReleaseLogTest, SurvivesReloadAndComposesCharges) {
  {
    ReleaseLog log(Path());
    log.Append(Record("r1"));
    log.Append(Record("r2"));
  }
  ReleaseLog log(Path());
  ASSERT_EQ(log.Records().size(), 2u);
  EXPECT_EQ(log.Records()[1].round, "r2");
  ASSERT_TRUE(log.Find("r1").has_value());
  EXPECT_FALSE(log.Find("r3").has_value());

  const auto one = privacy::SampledGaussianRdp(0.01, 1.1, 100);
  const double expected = privacy::EpsilonFromRdp(one + one, 1e-5).epsilon;
  const auto spending = log.Spending();
  ASSERT_EQ(spending.size(), 2u);
  EXPECT_EQ(spending[0].silo, "eu");
  EXPECT_NEAR(spending[0].epsilon_spent, expected, 1e-12);
  EXPECT_GT(spending[0].epsilon_spent, privacy::EpsilonFromRdp(one, 1e-5).epsilon);
  EXPECT_EQ(spending[0].releases, 2);
  ASSERT_TRUE(spending[0].Remaining().has_value());
  EXPECT_NEAR(*spending[0].Remaining(), 4.0 - expected, 1e-12);
  EXPECT_FALSE(spending[1].Remaining().has_value());  // no budget recorded
}

TEST_F(ReleaseLogTest, KeepsWhatARestartedAggregatorNeedsToAnswerForTheRound) {
  ReleaseRecord with = Record("r1");
  with.base_model = "sha256:" + std::string(64, 'a');
  with.dropped = {"ap"};
  with.config = std::make_shared<const nlohmann::json>(nlohmann::json{{"seed", 7}});
  {
    ReleaseLog log(Path());
    log.Append(with);
    log.Append(Record("r2"));  // as written before these fields existed
  }
  ReleaseLog log(Path());
  const auto r1 = log.Find("r1");
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->base_model, with.base_model);
  EXPECT_EQ(r1->dropped, std::vector<std::string>{"ap"});
  ASSERT_NE(r1->config, nullptr);
  EXPECT_EQ(*r1->config, *with.config);
  const auto r2 = log.Find("r2");
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->config, nullptr);
  EXPECT_TRUE(r2->dropped.empty());

  nlohmann::json bad = ReleaseRecordToJson(with);
  bad["dropped"] = "ap";
  EXPECT_THROW(ReleaseRecordFromJson(bad, "line 1"), ConfigError);
}

TEST_F(ReleaseLogTest, EvaluationsAttachToTheirReleaseAndChargeNothing) {
  const nlohmann::json evaluation = {{"examples", 40},
                                     {"metrics", {{"roc_auc", 0.8}}},
                                     {"primaryMetric", {{"name", "roc_auc"}, {"value", 0.8}}}};
  {
    ReleaseLog log(Path());
    log.Append(Record("r1"));
    EXPECT_THROW(log.AppendEvaluation("r9", evaluation), ConfigError);  // never released
    log.AppendEvaluation("r1", evaluation);
    log.Append(Record("r2"));
  }
  ReleaseLog log(Path());
  ASSERT_EQ(log.Records().size(), 2u);
  ASSERT_NE(log.Find("r1")->evaluation, nullptr);
  EXPECT_EQ(*log.Find("r1")->evaluation, evaluation);
  EXPECT_EQ(log.Find("r2")->evaluation, nullptr);
  for (const SiloSpending& silo : log.Spending()) EXPECT_EQ(silo.releases, 2);

  // An evaluation of a round the log never released is corruption, not a torn line.
  std::ofstream(Path(), std::ios::app) << R"({"round":"ghost","evaluation":{"examples":1}})"
                                       << "\n"
                                       << ReleaseRecordToJson(Record("r3")).dump() << "\n";
  try {
    ReleaseLog reopened(Path());
    FAIL() << "an orphan evaluation was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("ghost"), std::string::npos) << e.what();
  }
}

TEST_F(ReleaseLogTest, DropsATornLastLineAndAppendsCleanly) {
  {
    ReleaseLog log(Path());
    log.Append(Record("r1"));
  }
  {
    std::ofstream out(Path(), std::ios::app | std::ios::binary);
    out << R"({"round":"r2","modelLine":"li)";  // a crash mid-write
  }
  {
    ReleaseLog log(Path());
    EXPECT_EQ(log.dropped_torn_lines(), 1);
    EXPECT_EQ(log.Records().size(), 1u);
    log.Append(Record("r3"));
  }
  ReleaseLog log(Path());
  EXPECT_EQ(log.dropped_torn_lines(), 0);
  ASSERT_EQ(log.Records().size(), 2u);
  EXPECT_EQ(log.Records()[1].round, "r3");
}

TEST_F(ReleaseLogTest, CorruptionBeforeTheLastLineIsAnError) {
  {
    ReleaseLog log(Path());
    log.Append(Record("r1"));
  }
  {
    std::ofstream out(Path(), std::ios::app | std::ios::binary);
    out << "not json\n";
  }
  {
    ReleaseLog log(Path());
    log.Append(Record("r2"));  // the garbage was the last line: dropped
  }
  {
    std::ofstream out(Path(), std::ios::app | std::ios::binary);
    out << "{\"round\": 1}\n";
  }
  std::ofstream(Path(), std::ios::app | std::ios::binary)
      << ReleaseRecordToJson(Record("r4")).dump() << "\n";
  try {
    ReleaseLog log(Path());
    FAIL() << "a corrupt record in the middle was accepted";
  } catch (const DataError& e) {
    EXPECT_EQ(e.position().line, 3);
  }
}

TEST_F(ReleaseLogTest, ReleaseWithoutPrivacyIsUnbounded) {
  ReleaseLog log(Path());
  log.Append(Record("r1", /*dp=*/false));
  EXPECT_TRUE(std::isinf(log.Spending()[0].epsilon_spent));
  ReleaseLog reloaded(Path());
  EXPECT_TRUE(std::isinf(reloaded.Spending()[0].epsilon_spent));
  EXPECT_FALSE(reloaded.Records()[0].silos[0].private_release);
}

}  // namespace
}  // namespace fedcrm::aggregator
