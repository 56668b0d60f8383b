#include "operator/privacy_ledger.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::op {
namespace {

using privacy::RdpCurve;
using Clock = std::chrono::system_clock;

const PrivacyBudget kBudget{3.0, 1e-5};
const Clock::time_point kNow = Clock::from_time_t(1'800'000'000);

RdpCurve Charge(int64_t steps = 20) { return RoundCharge(0.01, 0.813, steps); }

double Epsilon(const RdpCurve& curve, double delta = 1e-5) {
  return privacy::EpsilonFromRdp(curve, delta).epsilon;
}

TEST(RoundChargeTest, IsTheAccountantsCurve) {
  const RdpCurve charge = Charge();
  EXPECT_EQ(charge, privacy::SampledGaussianRdp(0.01, 0.813, 20));
  EXPECT_EQ(charge.orders(), privacy::DefaultOrders());
  EXPECT_THROW(RoundCharge(1.5, 1.0, 1), ConfigError);
  EXPECT_THROW(RoundCharge(0.1, 1.0, -1), ConfigError);
}

TEST(SiloLedgerTest, AdmitCountsCommittedAndEveryReservation) {
  const RdpCurve big = Charge();
  const double one = Epsilon(big);
  const double two = Epsilon(big + big);
  // Room for one round, not two (epsilons compose sublinearly).
  const double budget = (one + two) / 2;
  SiloLedger ledger({budget, 1e-5});
  ASSERT_LT(two, 2 * one);
  EXPECT_TRUE(ledger.Admit("r1", big).admitted);
  ledger.Reserve("r1", big, kNow);
  const Admission second = ledger.Admit("r2", big);
  EXPECT_FALSE(second.admitted);
  EXPECT_DOUBLE_EQ(second.epsilon_charge, one);
  EXPECT_DOUBLE_EQ(second.epsilon_projected, Epsilon(big + big));
  EXPECT_NEAR(second.epsilon_remaining, budget - one, 1e-12);
  EXPECT_DOUBLE_EQ(second.epsilon_budget, budget);
  EXPECT_NE(second.message.find("needs ε"), std::string::npos);
  EXPECT_NE(second.message.find("remaining of"), std::string::npos);
  EXPECT_THROW(ledger.Reserve("r2", big, kNow), privacy::BudgetExceededError);
  // The round already reserved stays admitted: it is counted already.
  EXPECT_TRUE(ledger.Admit("r1", big).admitted);
  ledger.Commit("r1");
  EXPECT_FALSE(ledger.Admit("r2", big).admitted);
  EXPECT_TRUE(ledger.Admit("r1", big).admitted);
}

TEST(SiloLedgerTest, ValuesAreExactlyTheAccountants) {
  SiloLedger ledger(kBudget);
  const RdpCurve a = Charge(20), b = Charge(35);
  ledger.Reserve("r1", a, kNow);
  ledger.Reserve("r2", b, kNow);
  EXPECT_DOUBLE_EQ(ledger.EpsilonSpent(), 0.0);
  EXPECT_DOUBLE_EQ(ledger.EpsilonReserved(), Epsilon(a + b));
  EXPECT_DOUBLE_EQ(ledger.EpsilonRemaining(), 3.0 - Epsilon(a + b));
  ledger.Commit("r1");
  EXPECT_DOUBLE_EQ(ledger.EpsilonSpent(), Epsilon(a));
  EXPECT_DOUBLE_EQ(ledger.EpsilonReserved(), Epsilon(a + b) - Epsilon(a));

  const Json status = ledger.ToStatus();
  EXPECT_DOUBLE_EQ(status["epsilonSpent"].get<double>(), Epsilon(a));
  ASSERT_EQ(status["reservations"].size(), 1u);
  EXPECT_EQ(status["reservations"][0]["round"], "r2");
  EXPECT_DOUBLE_EQ(status["reservations"][0]["epsilon"].get<double>(), Epsilon(b));
  EXPECT_EQ(status["reservations"][0]["rdp"]["values"].get<std::vector<double>>(), b.values());
  EXPECT_EQ(status["reservations"][0]["reservedAt"], "2027-01-15T08:00:00Z");
}

TEST(SiloLedgerTest, CompositionOfRoundsEqualsTheAccountant) {
  SiloLedger ledger({100.0, 1e-6});
  RdpCurve expected = RdpCurve::Zero(privacy::DefaultOrders());
  for (int i = 1; i <= 5; ++i) {
    const RdpCurve charge = RoundCharge(0.02, 1.1, 10 * i);
    const std::string round = "m-r" + std::to_string(i);
    ledger.Reserve(round, charge, kNow);
    ledger.Commit(round);
    expected += charge;
    // Every round passes through the status, as across reconciles.
    ledger = SiloLedger::FromStatus(ledger.ToStatus(), {100.0, 1e-6});
  }
  // Five rounds of 10, 20, ..., 50 steps are one run of 150 steps.
  const RdpCurve one_run = privacy::SampledGaussianRdp(0.02, 1.1, 150);
  EXPECT_EQ(ledger.composed().values().size(), one_run.values().size());
  for (size_t i = 0; i < one_run.size(); ++i) {
    EXPECT_NEAR(ledger.composed().values()[i], one_run.values()[i],
                1e-12 * (1 + one_run.values()[i]));
  }
  EXPECT_DOUBLE_EQ(ledger.EpsilonSpent(), Epsilon(expected, 1e-6));
  EXPECT_NEAR(ledger.EpsilonSpent(), Epsilon(one_run, 1e-6), 1e-9);
  EXPECT_EQ(ledger.rounds_joined(), 5);
  EXPECT_EQ(ledger.last_committed_round(), "m-r5");
  EXPECT_EQ(ledger.committed_rounds().size(), 5u);
}

TEST(SiloLedgerTest, EveryOperationIsIdempotent) {
  SiloLedger ledger(kBudget);
  EXPECT_TRUE(ledger.Reserve("r1", Charge(), kNow));
  EXPECT_FALSE(ledger.Reserve("r1", Charge(), kNow + std::chrono::hours(1)));
  EXPECT_THROW(ledger.Reserve("r1", Charge(21), kNow), ConfigError);
  const double reserved = ledger.EpsilonReserved();
  EXPECT_TRUE(ledger.Commit("r1"));
  EXPECT_FALSE(ledger.Commit("r1"));
  EXPECT_FALSE(ledger.Commit("r1", Charge()));
  EXPECT_DOUBLE_EQ(ledger.EpsilonSpent(), reserved);
  EXPECT_EQ(ledger.rounds_joined(), 1);
  // A committed round can be neither reserved again nor released.
  EXPECT_FALSE(ledger.Reserve("r1", Charge(), kNow));
  EXPECT_FALSE(ledger.Release("r1"));
  EXPECT_DOUBLE_EQ(ledger.EpsilonSpent(), reserved);
  EXPECT_DOUBLE_EQ(ledger.EpsilonReserved(), 0.0);

  EXPECT_TRUE(ledger.Reserve("r2", Charge(), kNow));
  EXPECT_TRUE(ledger.Release("r2"));
  EXPECT_FALSE(ledger.Release("r2"));
  EXPECT_FALSE(ledger.Release("never"));
  EXPECT_DOUBLE_EQ(ledger.EpsilonReserved(), 0.0);
  EXPECT_EQ(ledger.rounds_joined(), 1);
}

TEST(SiloLedgerTest, ACommitAfterARestartIsANoOp) {
  SiloLedger ledger(kBudget);
  ledger.Reserve("r1", Charge(), kNow);
  ledger.Commit("r1");
  const Json before = ledger.ToStatus();
  SiloLedger restarted = SiloLedger::FromStatus(before, kBudget);
  EXPECT_FALSE(restarted.Commit("r1", Charge()));
  EXPECT_FALSE(restarted.Reserve("r1", Charge(), kNow));
  EXPECT_EQ(restarted.ToStatus(), before);
}

TEST(SiloLedgerTest, StatusRoundTrips) {
  SiloLedger ledger(kBudget);
  ledger.Reserve("r1", Charge(20), kNow);
  ledger.Reserve("r2", Charge(30), kNow);
  ledger.Commit("r1");
  const Json status = ledger.ToStatus();
  EXPECT_EQ(status["composedRdp"]["orders"].size(), privacy::DefaultOrders().size());
  EXPECT_EQ(status["committedRounds"], Json::array({"r1"}));
  EXPECT_EQ(status["lastCommittedRound"], "r1");
  EXPECT_EQ(status["roundsJoined"], 1);
  const SiloLedger back = SiloLedger::FromStatus(status, kBudget);
  EXPECT_EQ(back.ToStatus(), status);
  EXPECT_TRUE(back.IsReserved("r2"));
  EXPECT_TRUE(back.IsCommitted("r1"));
  EXPECT_EQ(back.composed(), ledger.composed());

  // A new silo has no ledger yet.
  const SiloLedger fresh = SiloLedger::FromStatus(nullptr, kBudget);
  EXPECT_DOUBLE_EQ(fresh.EpsilonRemaining(), 3.0);
  EXPECT_DOUBLE_EQ(SiloLedger::FromStatus(Json::object(), kBudget).EpsilonSpent(), 0.0);
}

TEST(SiloLedgerTest, ABudgetChangeInTheSpecAppliesOnRead) {
  SiloLedger ledger(kBudget);
  ledger.Reserve("r1", Charge(), kNow);
  ledger.Commit("r1");
  const SiloLedger lowered = SiloLedger::FromStatus(ledger.ToStatus(), {0.01, 1e-5});
  EXPECT_LT(lowered.EpsilonRemaining(), 0.0);
  EXPECT_FALSE(lowered.Admit("r2", Charge()).admitted);
  const SiloLedger stricter = SiloLedger::FromStatus(ledger.ToStatus(), {3.0, 1e-9});
  EXPECT_GT(stricter.EpsilonSpent(), ledger.EpsilonSpent());
}

TEST(SiloLedgerTest, NeverUnderCounts) {
  SiloLedger ledger({0.5, 1e-5});
  const RdpCurve big = RoundCharge(0.05, 0.8, 400);
  ASSERT_GT(Epsilon(big), 0.5);
  // The reservation was lost (or never written) but the silo's data was used:
  // the commit counts the charge, past the budget.
  EXPECT_TRUE(ledger.Commit("lost", big));
  EXPECT_DOUBLE_EQ(ledger.EpsilonSpent(), Epsilon(big));
  EXPECT_LT(ledger.EpsilonRemaining(), 0.0);
  EXPECT_EQ(ledger.rounds_joined(), 1);
  // With neither a reservation nor a charge there is nothing to count from.
  EXPECT_THROW(ledger.Commit("unknown"), ConfigError);
  // A reservation without its curve cannot be read back exactly.
  Json status = ledger.ToStatus();
  status["reservations"] = {{{"round", "old"}, {"epsilon", 0.2}}};
  EXPECT_THROW(SiloLedger::FromStatus(status, {0.5, 1e-5}), ConfigError);
}

TEST(SiloLedgerTest, MalformedStatusNamesTheField) {
  auto where = [](const Json& status) {
    try {
      SiloLedger::FromStatus(status, kBudget, "RegionSilo fedcrm/eu: status.ledger");
    } catch (const ConfigError& e) {
      return e.where();
    }
    return std::string("(no error)");
  };
  SiloLedger ledger(kBudget);
  ledger.Reserve("r1", Charge(), kNow);
  Json status = ledger.ToStatus();
  status["composedRdp"]["values"].erase(0);
  EXPECT_EQ(where(status).rfind("RegionSilo fedcrm/eu: status.ledger", 0), 0u);
  status = ledger.ToStatus();
  status["reservations"][0]["rdp"]["orders"] = {2.0, 3.0};
  status["reservations"][0]["rdp"]["values"] = {0.1, 0.2};
  EXPECT_EQ(where(status), "RegionSilo fedcrm/eu: status.ledger: reservations[0].rdp.orders");
  status = ledger.ToStatus();
  status["committedRounds"] = {"r1"};
  EXPECT_EQ(where(status), "RegionSilo fedcrm/eu: status.ledger: reservations");
  EXPECT_EQ(where(Json::array()), "RegionSilo fedcrm/eu: status.ledger");
}

}  // namespace
}  // namespace fedcrm::op
