// Admission of a FederatedRound: which RegionSilos take part.
//
// A silo is selected by the round's siloSelector, then excluded when it is
// not Ready, its residency is not verified, or its ledger cannot cover the
// round's charge (counting what it has spent and every reservation); the
// rest are eligible. The round is admitted when at least minParticipants are.
#pragma once

#include <string>
#include <vector>

#include "core/privacy/rdp_curve.h"
#include "operator/federated_round.h"
#include "operator/region_silo.h"

namespace fedcrm::op {

inline constexpr char kReasonNotReady[] = "NotReady";
inline constexpr char kReasonResidencyNotVerified[] = "ResidencyNotVerified";
inline constexpr char kReasonBudgetExhausted[] = "BudgetExhausted";
inline constexpr char kReasonLedgerInvalid[] = "LedgerInvalid";
inline constexpr char kReasonInsufficientParticipants[] = "InsufficientParticipants";
inline constexpr char kReasonAdmitted[] = "Admitted";

struct CandidateSilo {
  RegionSiloSpec spec;
  Json status = Json::object();     // the RegionSilo's status (ledger, conditions)
  bool ready = false;               // condition Ready is True
  bool residency_verified = false;  // condition ResidencyVerified is True
};

// A candidate from a RegionSilo object, its conditions read from status.
// Throws ConfigError for a malformed spec (ParseRegionSilo).
CandidateSilo CandidateFromObject(const Json& region_silo);

struct SiloAdmission {
  std::string name;
  bool eligible = false;
  std::string reason;         // "" when eligible; else kReasonNotReady, ...
  std::string message;        // why, for status and events
  privacy::RdpCurve charge;   // the round's RDP charge at the silo's ledger orders
  double epsilon_charge = 0;  // the charge alone at the silo's delta
};

struct RoundAdmission {
  bool admitted = false;
  std::string reason;   // kReasonAdmitted or kReasonInsufficientParticipants
  std::string message;  // who was excluded and why
  // Every selected silo, by name, eligible or not; unselected silos are absent.
  std::vector<SiloAdmission> silos;

  int Eligible() const;
  // The eligible silos as the aggregator's roster, with budgets from `candidates`.
  std::vector<ParticipantSilo> Roster(const std::vector<CandidateSilo>& candidates) const;
};

// Decides admission. Silos outside the round's namespace are not selected. A
// silo that already holds a reservation for this round stays eligible on
// budget (it is counted already), so deciding again after a restart gives
// the same answer.
RoundAdmission AdmitRound(const FederatedRound& round,
                          const std::vector<CandidateSilo>& candidates);

}  // namespace fedcrm::op
