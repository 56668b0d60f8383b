// A RegionSilo's privacy ledger as the operator keeps it in status.ledger
// (crds/fedcrm.io_regionsilos.yaml), on top of privacy::BudgetLedger.
//
// The status is the ledger's only storage, so it holds everything exactness
// and idempotency need after an operator restart: the composed RDP curve (not
// an epsilon: epsilons do not compose), each reservation's RDP curve, and the
// names of committed rounds (so a repeated commit is recognized). Every
// operation is idempotent: a reconcile retried after a crash does nothing
// twice. Failures may over-count; nothing under-counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/privacy/budget_ledger.h"
#include "core/privacy/rdp_curve.h"
#include "operator/fedcrm_resources.h"
#include "operator/region_silo.h"

namespace fedcrm::op {

// The RDP charge of one round to one silo: `steps` DP-SGD steps with Poisson
// sampling rate q and noise multiplier sigma, composed, at `orders`. Throws
// ConfigError on invalid arguments.
privacy::RdpCurve RoundCharge(double sampling_rate, double noise_multiplier, int64_t steps,
                              const std::vector<double>& orders = privacy::DefaultOrders());

// Whether a round's charge fits a silo's budget.
struct Admission {
  bool admitted = false;
  double epsilon_charge = 0;     // the charge alone, at the silo's delta
  double epsilon_projected = 0;  // committed + every reservation + the charge, composed
  double epsilon_remaining = 0;  // the budget minus committed + reserved, before the charge
  double epsilon_budget = 0;
  // Not admitted: "needs ε 0.52 (ε 3.1 composed with its spent and reserved
  // charges, at δ 1e-05), has ε 0.4 remaining of 3".
  std::string message;
};

class SiloLedger {
 public:
  // An empty ledger at the accountant's default orders.
  explicit SiloLedger(const PrivacyBudget& budget);

  // The ledger in `status_ledger` (RegionSilo status.ledger; null or {} for a
  // new silo) under the spec's `budget`. Derived values (epsilonSpent, ...)
  // are recomputed, not read. Throws ConfigError naming `where` and the field
  // for a malformed ledger, including a reservation without its RDP curve:
  // its charge cannot be recovered exactly, and guessing could under-count.
  static SiloLedger FromStatus(const Json& status_ledger, const PrivacyBudget& budget,
                               const std::string& where = "status.ledger");
  // status.ledger. JSON holds no infinity: an infinite RDP value is written
  // as the largest double, which can only over-count when read back.
  Json ToStatus() const;

  // Whether `round` may reserve `charge` now, counting committed and ALL
  // reserved charges. A round already reserved or committed is admitted (it
  // is counted already). Throws ConfigError for a charge at other orders.
  Admission Admit(const std::string& round, const privacy::RdpCurve& charge) const;

  // Reserves `charge` for `round`; returns whether anything changed. A round
  // already reserved with the same charge, or already committed, is a no-op.
  // Throws privacy::BudgetExceededError when not admitted, ConfigError for a
  // different charge under a reserved round's name.
  bool Reserve(const std::string& round, const privacy::RdpCurve& charge,
               std::chrono::system_clock::time_point now);

  // Moves `round`'s reservation into the composed curve, appends it to the
  // committed rounds, counts it in roundsJoined and makes it the last
  // committed round; returns whether anything changed (false when already
  // committed). With no reservation (lost, or never made), `charge` is
  // composed instead, even past the budget, since the data was used; with
  // neither, throws ConfigError rather than under-count.
  bool Commit(const std::string& round,
              const std::optional<privacy::RdpCurve>& charge = std::nullopt);

  // Drops `round`'s reservation; returns whether anything changed. A round
  // unknown or already committed is a no-op: a spent charge stays spent.
  bool Release(const std::string& round);

  bool IsReserved(const std::string& round) const;
  bool IsCommitted(const std::string& round) const;

  const std::vector<double>& orders() const { return ledger_.orders(); }
  const privacy::RdpCurve& composed() const { return ledger_.committed(); }
  double epsilon_budget() const { return ledger_.epsilon_budget(); }
  double delta() const { return ledger_.delta(); }
  double EpsilonSpent() const { return ledger_.EpsilonSpent(); }
  double EpsilonReserved() const { return ledger_.EpsilonReserved(); }
  double EpsilonRemaining() const { return ledger_.EpsilonRemaining(); }
  int64_t rounds_joined() const { return rounds_joined_; }
  const std::vector<std::string>& committed_rounds() const { return committed_rounds_; }
  const std::string& last_committed_round() const { return last_committed_round_; }

 private:
  struct FromEngine {};
  SiloLedger(FromEngine, privacy::BudgetLedger ledger) : ledger_(std::move(ledger)) {}

  privacy::BudgetLedger ledger_;                    // composed curve and reservations
  std::map<std::string, std::string> reserved_at_;  // round -> RFC 3339
  std::vector<std::string> committed_rounds_;       // in commit order
  int64_t rounds_joined_ = 0;
  std::string last_committed_round_;
};

}  // namespace fedcrm::op
