#include "aggregator/round_registry.h"

#include <gtest/gtest.h>

#include "core/fl/round_config.h"
#include "tests/unit/aggregator/test_round.h"

namespace fedcrm::aggregator {
namespace {

const std::vector<std::string> kSilos = {"a", "b", "c"};

TEST(RoundRegistryTest, PutIsIdempotentForTheSameConfigOnly) {
  testing::TestEnv env;
  RoundRegistry registry(env.services());
  const auto json = testing::TestConfig(kSilos);
  EXPECT_EQ(registry.Put(fl::ParseRoundConfig(json, "r1")), RoundRegistry::PutResult::kCreated);
  const auto first = registry.Find("r1");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(registry.Put(fl::ParseRoundConfig(json, "r1")), RoundRegistry::PutResult::kUnchanged);
  EXPECT_EQ(registry.Find("r1"), first);

  auto changed = json;
  changed["seed"] = 8;
  try {
    registry.Put(fl::ParseRoundConfig(changed, "r1"));
    FAIL() << "a different config was accepted";
  } catch (const RoundError& e) {
    EXPECT_EQ(e.kind(), RoundError::Kind::kConflict);
  }
  // The same config under another id is another round.
  EXPECT_EQ(registry.Put(fl::ParseRoundConfig(changed, "r2")), RoundRegistry::PutResult::kCreated);
  EXPECT_EQ(registry.Ids(), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(registry.Find("r3"), nullptr);
}

TEST(RoundRegistryTest, TickClosesOverduePhases) {
  testing::TestEnv env;
  RoundRegistry registry(env.services());
  registry.Put(fl::ParseRoundConfig(testing::TestConfig(kSilos), "r1"));
  const auto round = registry.Find("r1");
  registry.Tick();
  EXPECT_EQ(round->Status()["phase"], "statistics/advertise-keys");
  env.Advance(std::chrono::seconds(61));  // phaseSeconds is 60, nobody came
  registry.Tick();
  EXPECT_EQ(round->Status()["phase"], "failed");
}

TEST(RoundRegistryTest, TickerThreadStartsAndStops) {
  testing::TestEnv env;
  RoundRegistry registry(env.services());
  registry.Put(fl::ParseRoundConfig(testing::TestConfig(kSilos), "r1"));
  env.Advance(std::chrono::seconds(61));
  registry.StartTicker(std::chrono::milliseconds(1));
  // Bounded wait for the background ticker; no timing assertion.
  for (int i = 0; i < 2000 && !registry.Find("r1")->Finished(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  registry.StopTicker();
  EXPECT_TRUE(registry.Find("r1")->Finished());
}

}  // namespace
}  // namespace fedcrm::aggregator
