#include "kube/conditions.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/error.h"

namespace fedcrm::kube {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kT0 = system_clock::from_time_t(1796000000);

TEST(ConditionsTest, FormatsRfc3339InUtc) {
  EXPECT_EQ(FormatRfc3339(system_clock::from_time_t(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(system_clock::from_time_t(1700000000) + std::chrono::milliseconds(999)),
            "2023-11-14T22:13:20Z");
}

TEST(ConditionsTest, SetAddsThenUpdatesInPlace) {
  nlohmann::json conditions;  // null: a status without conditions yet
  EXPECT_TRUE(SetCondition(conditions, "Ready", "False", "Provisioning", "wait", 1, kT0));
  EXPECT_TRUE(SetCondition(conditions, "Reachable", "True", "Connected", "", 1, kT0));
  ASSERT_EQ(conditions.size(), 2u);
  const nlohmann::json* ready = FindCondition(conditions, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ((*ready)["status"], "False");
  EXPECT_EQ((*ready)["reason"], "Provisioning");
  EXPECT_EQ((*ready)["observedGeneration"], 1);
  EXPECT_EQ((*ready)["lastTransitionTime"], FormatRfc3339(kT0));
  EXPECT_FALSE(IsTrue(conditions, "Ready"));
  EXPECT_TRUE(IsTrue(conditions, "Reachable"));
  EXPECT_FALSE(IsTrue(conditions, "Missing"));
  EXPECT_EQ(FindCondition(conditions, "Missing"), nullptr);
}

TEST(ConditionsTest, KeepsTransitionTimeWhenStatusUnchanged) {
  nlohmann::json conditions = nlohmann::json::array();
  SetCondition(conditions, "Ready", "False", "Provisioning", "a", 1, kT0);
  // Same status, new reason and generation: the transition time stays.
  EXPECT_TRUE(SetCondition(conditions, "Ready", "False", "Waiting", "b", 2, kT0 + seconds(60)));
  EXPECT_EQ(conditions[0]["lastTransitionTime"], FormatRfc3339(kT0));
  EXPECT_EQ(conditions[0]["reason"], "Waiting");
  EXPECT_EQ(conditions[0]["observedGeneration"], 2);
  // Identical: reports no change, so the controller can skip the update.
  EXPECT_FALSE(SetCondition(conditions, "Ready", "False", "Waiting", "b", 2, kT0 + seconds(90)));
  // A status flip moves the time.
  EXPECT_TRUE(SetCondition(conditions, "Ready", "True", "Ready", "", 2, kT0 + seconds(120)));
  EXPECT_EQ(conditions[0]["lastTransitionTime"], FormatRfc3339(kT0 + seconds(120)));
  EXPECT_TRUE(IsTrue(conditions, "Ready"));
  EXPECT_EQ(conditions.size(), 1u);
}

TEST(ConditionsTest, RemoveCondition) {
  nlohmann::json conditions;
  SetCondition(conditions, "A", "True", "Ok", "", 0, kT0);
  SetCondition(conditions, "B", "True", "Ok", "", 0, kT0);
  EXPECT_TRUE(RemoveCondition(conditions, "A"));
  EXPECT_FALSE(RemoveCondition(conditions, "A"));
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0]["type"], "B");
}

TEST(ConditionsTest, ReasonValidation) {
  for (const char* good : {"A", "BudgetExhausted", "a1", "Ready_", "Foo:Bar,Baz"}) {
    EXPECT_TRUE(IsValidConditionReason(good)) << good;
  }
  for (const char* bad : {"", "1Abc", "Has Space", "Trailing:", "Trailing,", "dash-ed", "_x"}) {
    EXPECT_FALSE(IsValidConditionReason(bad)) << bad;
  }
  EXPECT_TRUE(IsValidConditionReason(std::string(1024, 'a')));
  EXPECT_FALSE(IsValidConditionReason(std::string(1025, 'a')));
}

TEST(ConditionsTest, TypeValidation) {
  for (const char* good : {"Ready", "fedcrm.io/BudgetAvailable", "a", "Residency-Verified"}) {
    EXPECT_TRUE(IsValidConditionType(good)) << good;
  }
  for (const char* bad : {"", "-Ready", "Ready-", "Bad/Ready", "a/b/c", "/Ready", "Has Space"}) {
    EXPECT_FALSE(IsValidConditionType(bad)) << bad;
  }
}

TEST(ConditionsTest, SetRejectsBadInputNamingTheCondition) {
  nlohmann::json conditions;
  try {
    SetCondition(conditions, "Ready", "True", "not camel", "", 0, kT0);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "condition 'Ready'");
    EXPECT_NE(e.problem().find("reason 'not camel'"), std::string::npos);
  }
  EXPECT_THROW(SetCondition(conditions, "Ready", "Yes", "Ok", "", 0, kT0), ConfigError);
  EXPECT_THROW(SetCondition(conditions, "Bad Type", "True", "Ok", "", 0, kT0), ConfigError);
  EXPECT_THROW(SetCondition(conditions, "Ready", "True", "Ok", "", -1, kT0), ConfigError);
  EXPECT_THROW(SetCondition(conditions, "Ready", "True", "Ok", std::string(32769, 'x'), 0, kT0),
               ConfigError);
  nlohmann::json not_array = nlohmann::json::object();
  EXPECT_THROW(SetCondition(not_array, "Ready", "True", "Ok", "", 0, kT0), ConfigError);
  EXPECT_TRUE(conditions.is_null());  // nothing was written on failure
}

}  // namespace
}  // namespace fedcrm::kube
