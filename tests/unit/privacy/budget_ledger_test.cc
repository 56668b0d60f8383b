#include "core/privacy/budget_ledger.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::privacy {
namespace {

// One round: 100 DP-SGD steps at q = 0.01, sigma = 1.0.
RdpCurve RoundCharge(double sigma = 1.0) { return SampledGaussianRdp(0.01, sigma, 100); }

double EpsilonOfRounds(int rounds) {
  return EpsilonFromRdp(RoundCharge().Repeated(rounds), 1e-5).epsilon;
}

TEST(BudgetLedgerTest, ReserveCountsAtOnceAndCommitMovesItToSpent) {
  BudgetLedger ledger(5.0, 1e-5);
  EXPECT_EQ(ledger.EpsilonSpent(), 0.0);
  EXPECT_EQ(ledger.EpsilonRemaining(), 5.0);

  ledger.Reserve("r1", RoundCharge());
  EXPECT_EQ(ledger.State("r1"), BudgetLedger::RoundState::kReserved);
  EXPECT_TRUE(ledger.HasReservation("r1"));
  EXPECT_EQ(ledger.EpsilonSpent(), 0.0);
  EXPECT_NEAR(ledger.EpsilonReserved(), EpsilonOfRounds(1), 1e-12);
  EXPECT_NEAR(ledger.EpsilonRemaining(), 5.0 - EpsilonOfRounds(1), 1e-12);

  ledger.Commit("r1");
  EXPECT_EQ(ledger.State("r1"), BudgetLedger::RoundState::kCommitted);
  EXPECT_FALSE(ledger.HasReservation("r1"));
  EXPECT_NEAR(ledger.EpsilonSpent(), EpsilonOfRounds(1), 1e-12);
  EXPECT_NEAR(ledger.EpsilonReserved(), 0.0, 1e-12);
  EXPECT_EQ(ledger.RoundsCommitted(), 1);

  ledger.Reserve("r2", RoundCharge());
  ledger.Commit("r2");
  ledger.Reserve("r3", RoundCharge());
  // Composed in RDP, not by adding epsilons: three rounds cost less than 3x one.
  EXPECT_NEAR(ledger.EpsilonSpent(), EpsilonOfRounds(2), 1e-12);
  EXPECT_NEAR(ledger.EpsilonSpent() + ledger.EpsilonReserved(), EpsilonOfRounds(3), 1e-12);
  EXPECT_LT(EpsilonOfRounds(3), 3 * EpsilonOfRounds(1));
  EXPECT_EQ(ledger.RoundsCommitted(), 2);
}

TEST(BudgetLedgerTest, ReleaseGivesAReservationBack) {
  BudgetLedger ledger(5.0, 1e-5);
  ledger.Reserve("r1", RoundCharge());
  ledger.Release("r1");
  EXPECT_EQ(ledger.State("r1"), BudgetLedger::RoundState::kUnknown);
  EXPECT_EQ(ledger.EpsilonReserved(), 0.0);
  EXPECT_EQ(ledger.EpsilonRemaining(), 5.0);
  EXPECT_THROW(ledger.Commit("r1"), ConfigError);  // released: nothing to commit
}

TEST(BudgetLedgerTest, RefusesChargesBeyondTheBudget) {
  const double one = EpsilonOfRounds(1);
  const double two = EpsilonOfRounds(2);
  BudgetLedger ledger((one + two) / 2, 1e-5);  // room for one round, not two
  EXPECT_TRUE(ledger.CanAfford(RoundCharge()));
  ledger.Reserve("r1", RoundCharge());
  EXPECT_FALSE(ledger.CanAfford(RoundCharge()));
  EXPECT_THROW(ledger.Reserve("r2", RoundCharge()), BudgetExceededError);
  EXPECT_EQ(ledger.State("r2"), BudgetLedger::RoundState::kUnknown);
  // A reservation blocks as much as a commit does.
  ledger.Commit("r1");
  EXPECT_THROW(ledger.Reserve("r2", RoundCharge()), BudgetExceededError);
  // A cheaper round (more noise) may still fit.
  EXPECT_TRUE(ledger.CanAfford(RoundCharge(50.0)));
  ledger.Reserve("r2", RoundCharge(50.0));
  EXPECT_LE(ledger.EpsilonRemaining(), ledger.epsilon_budget());
  EXPECT_GE(ledger.EpsilonRemaining(), 0.0);
}

TEST(BudgetLedgerTest, RepeatedCallsAreIdempotentButNeverUnderCount) {
  BudgetLedger ledger(5.0, 1e-5);
  ledger.Reserve("r1", RoundCharge());
  ledger.Reserve("r1", RoundCharge());  // a retried reconcile
  EXPECT_NEAR(ledger.EpsilonReserved(), EpsilonOfRounds(1), 1e-12);
  EXPECT_THROW(ledger.Reserve("r1", RoundCharge(2.0)), ConfigError);

  ledger.Commit("r1");
  ledger.Commit("r1");  // double commit: counted once
  EXPECT_EQ(ledger.RoundsCommitted(), 1);
  EXPECT_NEAR(ledger.EpsilonSpent(), EpsilonOfRounds(1), 1e-12);
  ledger.Reserve("r1", RoundCharge());  // same id and charge, already committed
  EXPECT_NEAR(ledger.EpsilonSpent(), EpsilonOfRounds(1), 1e-12);
  EXPECT_EQ(ledger.EpsilonReserved(), 0.0);
  EXPECT_THROW(ledger.Reserve("r1", RoundCharge(2.0)), ConfigError);
  EXPECT_THROW(ledger.Release("r1"), ConfigError);  // spent is spent
  EXPECT_NEAR(ledger.EpsilonSpent(), EpsilonOfRounds(1), 1e-12);
}

TEST(BudgetLedgerTest, UnknownIdsAndMismatchedChargesThrow) {
  BudgetLedger ledger(5.0, 1e-5);
  EXPECT_THROW(ledger.Commit("nope"), ConfigError);
  EXPECT_THROW(ledger.Release("nope"), ConfigError);
  EXPECT_THROW(ledger.Reserve("", RoundCharge()), ConfigError);
  EXPECT_THROW(ledger.Reserve("r1", SampledGaussianRdp(0.01, 1.0, 100, {2.0, 4.0})), ConfigError);
  EXPECT_THROW(ledger.CanAfford(RdpCurve({2.0}, {0.1})), ConfigError);
  try {
    ledger.Commit("round-7");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("round-7"), std::string::npos) << e.what();
  }
}

TEST(BudgetLedgerTest, InvalidConstructionIsAConfigError) {
  EXPECT_THROW(BudgetLedger(-1.0, 1e-5), ConfigError);
  EXPECT_THROW(BudgetLedger(std::numeric_limits<double>::infinity(), 1e-5), ConfigError);
  EXPECT_THROW(BudgetLedger(1.0, 0.0), ConfigError);
  EXPECT_THROW(BudgetLedger(1.0, 1.0), ConfigError);
  EXPECT_THROW(BudgetLedger(1.0, 1e-5, {}), ConfigError);
  EXPECT_THROW(BudgetLedger(1.0, 1e-5, {0.5}), ConfigError);
}

TEST(BudgetLedgerTest, LoweringTheBudgetGivesNothingBack) {
  BudgetLedger ledger(5.0, 1e-5);
  ledger.Reserve("r1", RoundCharge());
  ledger.Commit("r1");
  ledger.SetEpsilonBudget(0.01);
  EXPECT_LT(ledger.EpsilonRemaining(), 0.0);
  EXPECT_NEAR(ledger.EpsilonSpent(), EpsilonOfRounds(1), 1e-12);
  EXPECT_FALSE(ledger.CanAfford(RoundCharge(1000.0)));
}

TEST(BudgetLedgerTest, JsonRoundTripKeepsEverything) {
  BudgetLedger ledger(5.0, 1e-6);
  ledger.Reserve("r1", RoundCharge());
  ledger.Commit("r1");
  ledger.Reserve("r2", RoundCharge(2.0));
  const nlohmann::json doc = ledger.ToJson();
  EXPECT_EQ(doc.at("roundsCommitted"), 1);
  EXPECT_EQ(doc.at("committedRdp").size(), DefaultOrders().size());

  // Through text, as it goes through a Kubernetes status.
  BudgetLedger back = BudgetLedger::FromJson(nlohmann::json::parse(doc.dump()));
  EXPECT_EQ(back.epsilon_budget(), 5.0);
  EXPECT_EQ(back.delta(), 1e-6);
  EXPECT_EQ(back.orders(), ledger.orders());
  EXPECT_EQ(back.committed(), ledger.committed());
  EXPECT_EQ(back.EpsilonSpent(), ledger.EpsilonSpent());
  EXPECT_EQ(back.EpsilonReserved(), ledger.EpsilonReserved());
  EXPECT_EQ(back.RoundsCommitted(), 1);
  EXPECT_EQ(back.State("r1"), BudgetLedger::RoundState::kCommitted);
  EXPECT_EQ(back.State("r2"), BudgetLedger::RoundState::kReserved);
  // The restored ledger still recognizes retries and refuses changed charges.
  back.Reserve("r1", RoundCharge());
  EXPECT_THROW(back.Reserve("r1", RoundCharge(3.0)), ConfigError);
  back.Commit("r2");
  EXPECT_EQ(back.RoundsCommitted(), 2);
  EXPECT_EQ(back.ToJson().at("reservations").size(), 0u);
}

TEST(BudgetLedgerTest, JsonKeepsInfiniteOrders) {
  const double inf = std::numeric_limits<double>::infinity();
  BudgetLedger ledger(5.0, 1e-5, {2.0, inf});
  ledger.Reserve("r1", RdpCurve({2.0, inf}, {0.1, 0.5}));
  const nlohmann::json doc = nlohmann::json::parse(ledger.ToJson().dump());
  EXPECT_EQ(doc.at("orders")[1], "inf");
  EXPECT_EQ(BudgetLedger::FromJson(doc).orders(), ledger.orders());
}

TEST(BudgetLedgerTest, MalformedJsonNamesTheField) {
  BudgetLedger ledger(5.0, 1e-5, {2.0, 4.0});
  ledger.Reserve("r1", RdpCurve({2.0, 4.0}, {0.1, 0.2}));
  const nlohmann::json good = ledger.ToJson();

  auto expect_error = [](const nlohmann::json& doc, const std::string& field) {
    try {
      BudgetLedger::FromJson(doc, "silo eu status.privacyLedger");
      ADD_FAILURE() << "expected ConfigError for " << field;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  nlohmann::json doc = good;
  doc.erase("delta");
  expect_error(doc, "privacyLedger.delta");
  doc = good;
  doc["epsilonBudget"] = "lots";
  expect_error(doc, "privacyLedger.epsilonBudget");
  doc = good;
  doc["committedRdp"] = {0.1};
  expect_error(doc, "privacyLedger.committedRdp");
  doc = good;
  doc["committedRdp"] = {0.1, -0.2};
  expect_error(doc, "privacyLedger.committedRdp");
  doc = good;
  doc["reservations"][0]["rdp"] = {0.1, "x"};
  expect_error(doc, "privacyLedger.reservations[0].rdp[1]");
  doc = good;
  doc["reservations"][0].erase("roundId");
  expect_error(doc, "privacyLedger.reservations[0].roundId");
  doc = good;
  doc["reservations"].push_back(doc["reservations"][0]);
  expect_error(doc, "privacyLedger.reservations[1].roundId");
  doc = good;
  doc["orders"] = {2.0, 0.5};
  expect_error(doc, "privacyLedger.orders");
  expect_error(nlohmann::json::array(), "privacyLedger");
}

}  // namespace
}  // namespace fedcrm::privacy
