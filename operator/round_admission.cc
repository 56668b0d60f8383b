#include "operator/round_admission.h"

#include <algorithm>

#include "kube/conditions.h"
#include "operator/json_fields.h"
#include "operator/label_selector.h"
#include "operator/privacy_ledger.h"

namespace fedcrm::op {
namespace {

std::string ConditionMessage(const Json& status, const char* type) {
  const Json* conditions = FindField(status, "conditions");
  const Json* condition = conditions ? kube::FindCondition(*conditions, type) : nullptr;
  if (condition == nullptr) return std::string("condition ") + type + " is not reported yet";
  std::string out = std::string("condition ") + type + " is " + condition->value("status", "?");
  const std::string message = condition->value("message", "");
  if (!message.empty()) out += ": " + message;
  return out;
}

SiloAdmission Exclude(SiloAdmission silo, const char* reason, std::string message) {
  silo.eligible = false;
  silo.reason = reason;
  silo.message = std::move(message);
  return silo;
}

SiloAdmission Decide(const FederatedRound& round, const CandidateSilo& candidate) {
  SiloAdmission out;
  out.name = candidate.spec.name;
  if (!candidate.ready) {
    return Exclude(out, kReasonNotReady, ConditionMessage(candidate.status, kConditionReady));
  }
  if (!candidate.residency_verified) {
    return Exclude(out, kReasonResidencyNotVerified,
                   ConditionMessage(candidate.status, kConditionResidencyVerified));
  }
  const std::string where =
      "RegionSilo " + candidate.spec.namespace_ + "/" + out.name + ": status.ledger";
  try {
    const Json* ledger_json = FindField(candidate.status, "ledger");
    const SiloLedger ledger = SiloLedger::FromStatus(ledger_json ? *ledger_json : Json(),
                                                     candidate.spec.privacy_budget, where);
    out.charge = RoundCharge(round.privacy.sampling_rate, round.privacy.noise_multiplier,
                             round.local_steps, ledger.orders());
    const Admission admission = ledger.Admit(round.name, out.charge);
    out.epsilon_charge = admission.epsilon_charge;
    if (!admission.admitted) return Exclude(out, kReasonBudgetExhausted, admission.message);
  } catch (const ConfigError& e) {
    return Exclude(out, kReasonLedgerInvalid, e.what());
  }
  out.eligible = true;
  return out;
}

std::string Summary(const RoundAdmission& admission, int64_t min_participants) {
  // Condition messages have a 32 KiB limit and are read by people: name the
  // first few exclusions in full and count the rest (status.silos has all).
  constexpr int kListed = 5;
  std::string out = std::to_string(admission.Eligible()) + " eligible of " +
                    std::to_string(admission.silos.size()) + " selected, " +
                    std::to_string(min_participants) + " needed";
  if (admission.silos.empty()) return out + "; no RegionSilo matches spec.siloSelector";
  std::string excluded;
  int count = 0;
  for (const auto& silo : admission.silos) {
    if (silo.eligible) continue;
    if (++count > kListed) continue;
    excluded += excluded.empty() ? "; excluded: " : "; ";
    excluded += silo.name + " (" + silo.reason + ": " + silo.message + ")";
  }
  if (count > kListed) {
    excluded += "; and " + std::to_string(count - kListed) + " more (see status.silos)";
  }
  return out + excluded;
}

}  // namespace

CandidateSilo CandidateFromObject(const Json& region_silo) {
  CandidateSilo out;
  out.spec = ParseRegionSilo(region_silo);
  if (const Json* status = FindField(region_silo, "status"); status && status->is_object()) {
    out.status = *status;
  }
  const Json* conditions = FindField(out.status, "conditions");
  out.ready = conditions && kube::IsTrue(*conditions, kConditionReady);
  out.residency_verified = conditions && kube::IsTrue(*conditions, kConditionResidencyVerified);
  return out;
}

int RoundAdmission::Eligible() const {
  return static_cast<int>(
      std::count_if(silos.begin(), silos.end(), [](const auto& s) { return s.eligible; }));
}

std::vector<ParticipantSilo> RoundAdmission::Roster(
    const std::vector<CandidateSilo>& candidates) const {
  std::vector<ParticipantSilo> out;
  for (const auto& silo : silos) {
    if (!silo.eligible) continue;
    for (const auto& candidate : candidates) {
      if (candidate.spec.name != silo.name) continue;
      out.push_back(
          {silo.name, candidate.spec.privacy_budget.epsilon, candidate.spec.privacy_budget.delta});
      break;
    }
  }
  return out;
}

RoundAdmission AdmitRound(const FederatedRound& round,
                          const std::vector<CandidateSilo>& candidates) {
  RoundAdmission out;
  for (const auto& candidate : candidates) {
    if (candidate.spec.namespace_ != round.namespace_) continue;
    if (!MatchesLabelSelector(round.silo_selector, candidate.spec.labels)) continue;
    out.silos.push_back(Decide(round, candidate));
  }
  // Deterministic order whatever order the cache listed them in.
  std::sort(out.silos.begin(), out.silos.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  out.admitted = out.Eligible() >= round.min_participants;
  out.reason = out.admitted ? kReasonAdmitted : kReasonInsufficientParticipants;
  out.message = Summary(out, round.min_participants);
  return out;
}

}  // namespace fedcrm::op
