#include "core/privacy/budget_ledger.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "core/privacy/rdp_conversion.h"

namespace fedcrm::privacy {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Str(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

std::string RoundWhere(const std::string& round_id) {
  return "budget ledger: round '" + round_id + "'";
}

void CheckBudget(double epsilon_budget, const std::string& where) {
  if (!(epsilon_budget >= 0.0) || !std::isfinite(epsilon_budget)) {
    throw ConfigError(
        where, "epsilon budget is " + Str(epsilon_budget) + "; expected a finite number >= 0");
  }
}

void CheckDelta(double delta, const std::string& where) {
  if (!(delta > 0.0 && delta < 1.0)) {
    throw ConfigError(where, "delta is " + Str(delta) + "; expected a number in (0, 1)");
  }
}

// FNV-1a over the bit patterns of the values: equal charges (the same
// computation, or a JSON round trip, which is exact) give equal digests.
std::string Digest(const RdpCurve& curve) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (double v : curve.values()) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    for (int b = 0; b < 8; ++b) {
      hash ^= (bits >> (8 * b)) & 0xff;
      hash *= 0x100000001b3ull;
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

// JSON has no infinity; an infinite order or RDP value is written "inf".
json NumberToJson(double x) { return std::isinf(x) && x > 0 ? json("inf") : json(x); }

double NumberFromJson(const json& value, const std::string& where) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string() && value.get<std::string>() == "inf") return kInf;
  throw ConfigError(where, "got " + value.dump() + "; expected a number or \"inf\"");
}

json NumbersToJson(const std::vector<double>& xs) {
  json out = json::array();
  for (double x : xs) out.push_back(NumberToJson(x));
  return out;
}

const json& Field(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) throw ConfigError(where + "." + key, "missing; expected a value");
  return *it;
}

std::vector<double> NumbersFromJson(const json& value, const std::string& where) {
  if (!value.is_array()) throw ConfigError(where, "got " + value.dump() + "; expected a list");
  std::vector<double> out;
  for (size_t i = 0; i < value.size(); ++i) {
    out.push_back(NumberFromJson(value[i], where + "[" + std::to_string(i) + "]"));
  }
  return out;
}

std::string RoundIdFromJson(const json& entry, const std::string& where) {
  const json& id = Field(entry, "roundId", where);
  if (!id.is_string() || id.get<std::string>().empty()) {
    throw ConfigError(where + ".roundId", "got " + id.dump() + "; expected a non-empty string");
  }
  return id.get<std::string>();
}

// An RDP curve from `values` at `orders`, with errors naming `where`.
RdpCurve CurveFromJson(const std::vector<double>& orders, const json& values,
                       const std::string& where) {
  std::vector<double> rdp = NumbersFromJson(values, where);
  if (rdp.size() != orders.size()) {
    throw ConfigError(where, std::to_string(rdp.size()) + " values for " +
                                 std::to_string(orders.size()) +
                                 " orders; expected one value per order");
  }
  try {
    return RdpCurve(orders, std::move(rdp));
  } catch (const ConfigError& e) {
    throw ConfigError(where, e.problem());
  }
}

}  // namespace

BudgetLedger::BudgetLedger(double epsilon_budget, double delta, std::vector<double> orders)
    : epsilon_budget_(epsilon_budget), delta_(delta) {
  CheckBudget(epsilon_budget, "budget ledger");
  CheckDelta(delta, "budget ledger");
  ValidateOrders(orders, "budget ledger: orders");
  committed_ = RdpCurve::Zero(std::move(orders));
}

void BudgetLedger::SetEpsilonBudget(double epsilon_budget) {
  CheckBudget(epsilon_budget, "budget ledger");
  epsilon_budget_ = epsilon_budget;
}

RdpCurve BudgetLedger::CommittedAndReserved() const {
  RdpCurve total = committed_;
  for (const auto& [id, charge] : reserved_) total += charge;
  return total;
}

double BudgetLedger::Epsilon(const RdpCurve& curve) const {
  return EpsilonFromRdp(curve, delta_).epsilon;
}

void BudgetLedger::CheckCharge(const RdpCurve& charge, const std::string& where) const {
  if (charge.orders() != orders()) {
    throw ConfigError(where, "the charge is an RDP curve at " + std::to_string(charge.size()) +
                                 " orders, not at the ledger's " + std::to_string(orders().size()) +
                                 "; expected the same orders");
  }
}

bool BudgetLedger::CanAfford(const RdpCurve& charge) const {
  CheckCharge(charge, "budget ledger");
  return Epsilon(CommittedAndReserved() + charge) <= epsilon_budget_;
}

void BudgetLedger::Reserve(const std::string& round_id, const RdpCurve& charge) {
  const std::string where = RoundWhere(round_id);
  if (round_id.empty()) throw ConfigError("budget ledger: round id", "expected a non-empty id");
  CheckCharge(charge, where);
  if (auto it = reserved_.find(round_id); it != reserved_.end()) {
    if (it->second == charge) return;
    throw ConfigError(where, "already reserved with a different charge");
  }
  if (auto it = committed_rounds_.find(round_id); it != committed_rounds_.end()) {
    if (it->second == Digest(charge)) return;
    throw ConfigError(where, "already committed with a different charge");
  }
  const double after = Epsilon(CommittedAndReserved() + charge);
  if (!(after <= epsilon_budget_)) {
    throw BudgetExceededError(where + ": the charge would bring epsilon to " + Str(after) +
                              ", over the budget of " + Str(epsilon_budget_) + " at delta " +
                              Str(delta_) + " (spent " + Str(EpsilonSpent()) + ", reserved " +
                              Str(EpsilonReserved()) + ")");
  }
  reserved_.emplace(round_id, charge);
}

void BudgetLedger::Commit(const std::string& round_id) {
  if (committed_rounds_.count(round_id)) return;
  auto it = reserved_.find(round_id);
  if (it == reserved_.end()) {
    throw ConfigError(RoundWhere(round_id),
                      "not reserved; expected a reservation before the commit");
  }
  committed_ += it->second;
  committed_rounds_.emplace(round_id, Digest(it->second));
  reserved_.erase(it);
}

void BudgetLedger::Release(const std::string& round_id) {
  if (committed_rounds_.count(round_id)) {
    throw ConfigError(RoundWhere(round_id), "already committed; a spent charge cannot be released");
  }
  if (reserved_.erase(round_id) == 0) {
    throw ConfigError(RoundWhere(round_id), "not reserved; expected a reservation to release");
  }
}

BudgetLedger::RoundState BudgetLedger::State(const std::string& round_id) const {
  if (committed_rounds_.count(round_id)) return RoundState::kCommitted;
  if (reserved_.count(round_id)) return RoundState::kReserved;
  return RoundState::kUnknown;
}

double BudgetLedger::EpsilonSpent() const { return Epsilon(committed_); }

double BudgetLedger::EpsilonReserved() const {
  return Epsilon(CommittedAndReserved()) - EpsilonSpent();
}

double BudgetLedger::EpsilonRemaining() const {
  return epsilon_budget_ - Epsilon(CommittedAndReserved());
}

json BudgetLedger::ToJson() const {
  json rounds = json::array();
  for (const auto& [id, digest] : committed_rounds_) {
    rounds.push_back({{"roundId", id}, {"chargeDigest", digest}});
  }
  json reservations = json::array();
  for (const auto& [id, charge] : reserved_) {
    reservations.push_back({{"roundId", id}, {"rdp", NumbersToJson(charge.values())}});
  }
  return {
      {"epsilonBudget", epsilon_budget_},
      {"delta", delta_},
      {"orders", NumbersToJson(orders())},
      {"committedRdp", NumbersToJson(committed_.values())},
      {"committedRounds", std::move(rounds)},
      {"reservations", std::move(reservations)},
      {"epsilonSpent", EpsilonSpent()},
      {"epsilonReserved", EpsilonReserved()},
      {"epsilonRemaining", EpsilonRemaining()},
      {"roundsCommitted", RoundsCommitted()},
  };
}

BudgetLedger BudgetLedger::FromJson(const json& doc, const std::string& where) {
  if (!doc.is_object()) throw ConfigError(where, "got " + doc.dump() + "; expected an object");
  const double budget =
      NumberFromJson(Field(doc, "epsilonBudget", where), where + ".epsilonBudget");
  const double delta = NumberFromJson(Field(doc, "delta", where), where + ".delta");
  CheckBudget(budget, where + ".epsilonBudget");
  CheckDelta(delta, where + ".delta");
  std::vector<double> orders = NumbersFromJson(Field(doc, "orders", where), where + ".orders");
  ValidateOrders(orders, (where + ".orders").c_str());

  BudgetLedger ledger(budget, delta, orders);
  ledger.committed_ =
      CurveFromJson(orders, Field(doc, "committedRdp", where), where + ".committedRdp");

  const json& rounds = Field(doc, "committedRounds", where);
  if (!rounds.is_array()) throw ConfigError(where + ".committedRounds", "expected a list");
  for (size_t i = 0; i < rounds.size(); ++i) {
    const std::string at = where + ".committedRounds[" + std::to_string(i) + "]";
    const std::string id = RoundIdFromJson(rounds[i], at);
    const json& digest = Field(rounds[i], "chargeDigest", at);
    if (!digest.is_string()) throw ConfigError(at + ".chargeDigest", "expected a string");
    if (!ledger.committed_rounds_.emplace(id, digest.get<std::string>()).second) {
      throw ConfigError(at + ".roundId", "'" + id + "' appears twice; expected unique ids");
    }
  }

  const json& reservations = Field(doc, "reservations", where);
  if (!reservations.is_array()) throw ConfigError(where + ".reservations", "expected a list");
  for (size_t i = 0; i < reservations.size(); ++i) {
    const std::string at = where + ".reservations[" + std::to_string(i) + "]";
    const std::string id = RoundIdFromJson(reservations[i], at);
    RdpCurve charge = CurveFromJson(orders, Field(reservations[i], "rdp", at), at + ".rdp");
    if (ledger.committed_rounds_.count(id) ||
        !ledger.reserved_.emplace(id, std::move(charge)).second) {
      throw ConfigError(at + ".roundId", "'" + id + "' appears twice; expected unique ids");
    }
  }
  return ledger;
}

}  // namespace fedcrm::privacy
