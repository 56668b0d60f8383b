// A silo's privacy budget, kept as a quota and composed in RDP.
//
// The operator reserves a round's charge before it schedules the silo,
// commits it once the round's aggregate is released, and releases it if the
// round never used the silo's data. A reservation counts against the budget
// at once, so a crash between scheduling and commit can only over-count.
// Every call that could under-count instead (committing an unknown round,
// releasing a committed one, reserving one id twice with different charges)
// throws. The ledger lives in the RegionSilo status as JSON.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/privacy/rdp_accountant.h"

namespace fedcrm::privacy {

// Reserve() would take the silo past its budget. Distinct from ConfigError:
// the operator answers it by leaving the silo out of the round.
class BudgetExceededError : public Error {
 public:
  using Error::Error;
};

class BudgetLedger {
 public:
  enum class RoundState { kUnknown, kReserved, kCommitted };

  // epsilon_budget >= 0 and delta in (0, 1) are the silo's (epsilon, delta)
  // budget; every charge must be a curve at `orders`. Throws
  // fedcrm::ConfigError on invalid arguments.
  BudgetLedger(double epsilon_budget, double delta, std::vector<double> orders = DefaultOrders());

  double epsilon_budget() const { return epsilon_budget_; }
  double delta() const { return delta_; }
  const std::vector<double>& orders() const { return committed_.orders(); }
  // The composition of every committed charge.
  const RdpCurve& committed() const { return committed_; }
  // The composition of every committed and reserved charge.
  RdpCurve CommittedAndReserved() const;

  // A new budget (e.g. the RegionSilo spec changed). Nothing already spent or
  // reserved is given back; a budget below it leaves EpsilonRemaining() < 0.
  void SetEpsilonBudget(double epsilon_budget);

  // Whether reserving `charge` now would keep epsilon(committed + reserved +
  // charge) within the budget.
  bool CanAfford(const RdpCurve& charge) const;

  // Reserves `charge` for `round_id`. Repeating the call with the same id and
  // the same charge does nothing (the id may by then be committed), so a
  // retried reconcile is safe. Throws BudgetExceededError when the charge does
  // not fit, fedcrm::ConfigError for an empty id, a charge at other orders, or
  // an id already used with a different charge.
  void Reserve(const std::string& round_id, const RdpCurve& charge);

  // Moves the reservation of `round_id` into the spent budget. Committing an
  // already committed id does nothing. Throws fedcrm::ConfigError for an id
  // that was never reserved.
  void Commit(const std::string& round_id);

  // Gives a reservation back (the round did not use this silo's data).
  // Throws fedcrm::ConfigError for a committed or unknown id.
  void Release(const std::string& round_id);

  RoundState State(const std::string& round_id) const;
  bool HasReservation(const std::string& round_id) const {
    return State(round_id) == RoundState::kReserved;
  }

  // epsilon(committed), at delta, with the improved conversion.
  double EpsilonSpent() const;
  // epsilon(committed + reserved) - epsilon(committed).
  double EpsilonReserved() const;
  // budget - epsilon(committed + reserved); negative only if the budget was
  // lowered below what is already spent or reserved.
  double EpsilonRemaining() const;
  int64_t RoundsCommitted() const { return static_cast<int64_t>(committed_rounds_.size()); }

  // The ledger as a JSON object (camelCase keys, for a Kubernetes status).
  // Derived values (epsilonSpent, ...) are written for readers and ignored
  // by FromJson, which recomputes them.
  nlohmann::json ToJson() const;
  // Throws fedcrm::ConfigError naming `where` and the field on a malformed
  // document.
  static BudgetLedger FromJson(const nlohmann::json& doc,
                               const std::string& where = "budget ledger");

 private:
  void CheckCharge(const RdpCurve& charge, const std::string& where) const;
  double Epsilon(const RdpCurve& curve) const;

  double epsilon_budget_;
  double delta_;
  RdpCurve committed_;
  std::map<std::string, RdpCurve> reserved_;
  // Committed ids with a digest of their charge, so a repeated Reserve can be
  // recognized without keeping every charge.
  std::map<std::string, std::string> committed_rounds_;
};

}  // namespace fedcrm::privacy
