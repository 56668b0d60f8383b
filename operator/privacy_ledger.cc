#include "operator/privacy_ledger.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"
#include "kube/conditions.h"
#include "operator/json_fields.h"

namespace fedcrm::op {
namespace {

constexpr double kMaxDouble = std::numeric_limits<double>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

// JSON (and the CRD's `type: number`) has no infinity.
double Finite(double x) {
  if (std::isnan(x)) return kMaxDouble;  // no guarantee: count it as spent
  return std::clamp(x, -kMaxDouble, kMaxDouble);
}

Json FiniteList(const std::vector<double>& xs) {
  Json out = Json::array();
  for (double x : xs) out.push_back(Finite(x));
  return out;
}

Json CurveToStatus(const privacy::RdpCurve& curve) {
  return {{"orders", FiniteList(curve.orders())}, {"values", FiniteList(curve.values())}};
}

// The largest double came from an infinity (Finite above); read it back as one.
std::vector<double> NumberList(const Json& parent, const std::string& key, const FieldPath& at) {
  const Json* list = FindField(parent, key);
  if (list == nullptr || !list->is_array()) {
    throw at.Child(key).Error("expected a list of numbers");
  }
  std::vector<double> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& x = (*list)[i];
    if (!x.is_number())
      throw at.Child(key).Index(i).Error("got " + x.dump() + "; expected a number");
    const double v = x.get<double>();
    out.push_back(v >= kMaxDouble ? kInf : v);
  }
  return out;
}

privacy::RdpCurve CurveFromStatus(const Json& curve, const FieldPath& at) {
  if (!curve.is_object()) throw at.Error("expected an object with orders and values");
  try {
    return privacy::RdpCurve(NumberList(curve, "orders", at), NumberList(curve, "values", at));
  } catch (const ConfigError& e) {
    if (e.where().rfind(at.object(), 0) == 0) throw;
    throw at.Error(e.problem());
  }
}

// BudgetLedger::FromJson's document, which carries the composed curve and the
// reservations; committed round names are kept by SiloLedger instead.
Json EngineDocument(const PrivacyBudget& budget, const privacy::RdpCurve& composed,
                    const Json& reservations) {
  auto numbers = [](const std::vector<double>& xs) {
    Json out = Json::array();
    for (double x : xs) out.push_back(std::isinf(x) && x > 0 ? Json("inf") : Json(x));
    return out;
  };
  Json engine_reservations = Json::array();
  for (const auto& [round, rdp] : reservations.items()) {
    engine_reservations.push_back(
        {{"roundId", round}, {"rdp", numbers(rdp.get<std::vector<double>>())}});
  }
  return {{"epsilonBudget", budget.epsilon},      {"delta", budget.delta},
          {"orders", numbers(composed.orders())}, {"committedRdp", numbers(composed.values())},
          {"committedRounds", Json::array()},     {"reservations", engine_reservations}};
}

std::string Str(double x) {
  std::ostringstream out;
  out.precision(4);
  out << x;
  return out.str();
}

}  // namespace

privacy::RdpCurve RoundCharge(double sampling_rate, double noise_multiplier, int64_t steps,
                              const std::vector<double>& orders) {
  return privacy::SampledGaussianRdp(sampling_rate, noise_multiplier, steps, orders);
}

SiloLedger::SiloLedger(const PrivacyBudget& budget)
    : ledger_(budget.epsilon, budget.delta, privacy::DefaultOrders()) {}

SiloLedger SiloLedger::FromStatus(const Json& status_ledger, const PrivacyBudget& budget,
                                  const std::string& where) {
  const FieldPath at(where, "");
  if (status_ledger.is_null() || (status_ledger.is_object() && status_ledger.empty())) {
    return SiloLedger(budget);
  }
  if (!status_ledger.is_object())
    throw at.Error("got " + status_ledger.dump() + "; expected an object");
  privacy::RdpCurve composed =
      FindField(status_ledger, "composedRdp")
          ? CurveFromStatus(status_ledger.at("composedRdp"), at.Child("composedRdp"))
          : privacy::RdpCurve::Zero(privacy::DefaultOrders());

  Json reserved = Json::object();  // round -> RDP values
  std::map<std::string, std::string> reserved_at;
  const Json* list = FindField(status_ledger, "reservations");
  if (list != nullptr && !list->is_array()) throw at.Child("reservations").Error("expected a list");
  for (size_t i = 0; list != nullptr && i < list->size(); ++i) {
    const FieldPath r = at.Child("reservations").Index(i);
    const Json& entry = (*list)[i];
    if (!entry.is_object()) throw r.Error("expected an object");
    const std::string round = RequiredString(entry, "round", r);
    if (FindField(entry, "rdp") == nullptr) {
      throw r.Child("rdp").Error("missing; the reserved RDP curve is needed to count round '" +
                                 round + "' exactly (an epsilon alone cannot be composed)");
    }
    const privacy::RdpCurve rdp = CurveFromStatus(entry.at("rdp"), r.Child("rdp"));
    if (rdp.orders() != composed.orders()) {
      throw r.Child("rdp.orders").Error("differ from composedRdp.orders; expected the same orders");
    }
    if (reserved.contains(round)) throw r.Child("round").Error("'" + round + "' appears twice");
    reserved[round] = rdp.values();
    reserved_at[round] = OptionalString(entry, "reservedAt", r, "");
  }

  SiloLedger out(FromEngine{}, privacy::BudgetLedger::FromJson(
                                   EngineDocument(budget, composed, reserved), where));
  out.reserved_at_ = std::move(reserved_at);
  out.committed_rounds_ = OptionalStringList(status_ledger, "committedRounds", at);
  std::set<std::string> unique(out.committed_rounds_.begin(), out.committed_rounds_.end());
  for (const auto& round : unique) {
    if (reserved.contains(round)) {
      throw at.Child("reservations").Error("round '" + round + "' is both reserved and committed");
    }
  }
  out.rounds_joined_ = OptionalInteger(status_ledger, "roundsJoined", at,
                                       static_cast<int64_t>(unique.size()), 0, INT64_MAX);
  out.last_committed_round_ = OptionalString(status_ledger, "lastCommittedRound", at, "");
  return out;
}

Json SiloLedger::ToStatus() const {
  Json reservations = Json::array();
  const Json engine = ledger_.ToJson();
  for (const Json& entry : engine.at("reservations")) {
    const std::string round = entry.at("roundId").get<std::string>();
    std::vector<double> values;
    for (const Json& v : entry.at("rdp")) values.push_back(v.is_string() ? kInf : v.get<double>());
    const privacy::RdpCurve rdp(orders(), values);
    Json item = {{"round", round},
                 {"epsilon", Finite(privacy::EpsilonFromRdp(rdp, delta()).epsilon)},
                 {"rdp", CurveToStatus(rdp)}};
    auto at = reserved_at_.find(round);
    if (at != reserved_at_.end() && !at->second.empty()) item["reservedAt"] = at->second;
    reservations.push_back(std::move(item));
  }
  Json out = {{"composedRdp", CurveToStatus(composed())},
              {"epsilonSpent", Finite(EpsilonSpent())},
              {"epsilonReserved", Finite(EpsilonReserved())},
              {"epsilonRemaining", Finite(EpsilonRemaining())},
              {"roundsJoined", rounds_joined_},
              {"reservations", std::move(reservations)},
              {"committedRounds", committed_rounds_}};
  if (!last_committed_round_.empty()) out["lastCommittedRound"] = last_committed_round_;
  return out;
}

Admission SiloLedger::Admit(const std::string& round, const privacy::RdpCurve& charge) const {
  Admission out;
  out.epsilon_budget = epsilon_budget();
  out.epsilon_remaining = EpsilonRemaining();
  out.epsilon_charge = privacy::EpsilonFromRdp(charge, delta()).epsilon;
  if (IsCommitted(round) || IsReserved(round)) {
    out.admitted = true;  // already counted
    out.epsilon_projected = epsilon_budget() - out.epsilon_remaining;
    return out;
  }
  out.admitted = ledger_.CanAfford(charge);
  out.epsilon_projected =
      privacy::EpsilonFromRdp(ledger_.CommittedAndReserved() + charge, delta()).epsilon;
  if (!out.admitted) {
    out.message = "needs ε " + Str(out.epsilon_charge) + " (ε " + Str(out.epsilon_projected) +
                  " composed with its spent and reserved charges, at δ " + Str(delta()) +
                  "), has ε " + Str(std::max(0.0, out.epsilon_remaining)) + " remaining of " +
                  Str(out.epsilon_budget);
  }
  return out;
}

bool SiloLedger::Reserve(const std::string& round, const privacy::RdpCurve& charge,
                         std::chrono::system_clock::time_point now) {
  if (IsCommitted(round)) return false;
  if (IsReserved(round)) {
    ledger_.Reserve(round, charge);  // no-op, or ConfigError for another charge
    return false;
  }
  const Admission admission = Admit(round, charge);
  if (!admission.admitted) {
    throw privacy::BudgetExceededError("round '" + round + "': " + admission.message);
  }
  ledger_.Reserve(round, charge);
  reserved_at_[round] = kube::FormatRfc3339(now);
  return true;
}

bool SiloLedger::Commit(const std::string& round, const std::optional<privacy::RdpCurve>& charge) {
  if (IsCommitted(round)) return false;
  if (IsReserved(round)) {
    if (charge) ledger_.Reserve(round, *charge);  // ConfigError if it differs
    ledger_.Commit(round);
    reserved_at_.erase(round);
  } else {
    if (!charge) {
      throw ConfigError("privacy ledger: round '" + round + "'",
                        "has no reservation and no charge was given; expected one of them");
    }
    // No reservation to move: compose the charge directly, past the budget
    // if need be, since the data was used.
    const privacy::RdpCurve composed_after = composed() + *charge;
    Json reserved = Json::object();
    for (const Json& entry : ledger_.ToJson().at("reservations")) {
      std::vector<double> values;
      for (const Json& v : entry.at("rdp"))
        values.push_back(v.is_string() ? kInf : v.get<double>());
      reserved[entry.at("roundId").get<std::string>()] = values;
    }
    ledger_ = privacy::BudgetLedger::FromJson(
        EngineDocument({epsilon_budget(), delta()}, composed_after, reserved), "privacy ledger");
  }
  committed_rounds_.push_back(round);
  ++rounds_joined_;
  last_committed_round_ = round;
  return true;
}

bool SiloLedger::Release(const std::string& round) {
  if (!IsReserved(round)) return false;
  ledger_.Release(round);
  reserved_at_.erase(round);
  return true;
}

bool SiloLedger::IsReserved(const std::string& round) const {
  return ledger_.HasReservation(round);
}

bool SiloLedger::IsCommitted(const std::string& round) const {
  return std::find(committed_rounds_.begin(), committed_rounds_.end(), round) !=
         committed_rounds_.end();
}

}  // namespace fedcrm::op
