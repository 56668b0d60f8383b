#include "operator/federated_round_controller.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/common/error.h"
#include "core/privacy/budget_ledger.h"
#include "kube/api_error.h"
#include "kube/conditions.h"
#include "kube/resources.h"
#include "operator/fedcrm_resources.h"
#include "operator/object_names.h"
#include "operator/privacy_ledger.h"
#include "operator/silo_ledger_update.h"

namespace fedcrm::op {
namespace {

using kube::Json;
using Clock = std::chrono::system_clock;

constexpr char kPhasePending[] = "Pending";
constexpr char kPhaseRunning[] = "Running";
constexpr char kPhaseSucceeded[] = "Succeeded";
constexpr char kPhaseFailed[] = "Failed";
// Whether every reservation of a finished round was committed or released.
// A round can fail (deadline) while the aggregator may still release it, so
// the ledger is settled separately from the phase.
constexpr char kConditionLedgerSettled[] = "LedgerSettled";
// How often a finished round whose aggregator outcome is still open is
// looked at again.
constexpr std::chrono::seconds kSettleInterval{10};

Json& Status(Json& object) {
  if (!object.contains("status") || !object["status"].is_object())
    object["status"] = Json::object();
  return object["status"];
}

std::string Phase(const Json& object) {
  if (!object.contains("status") || !object["status"].is_object()) return "";
  return object["status"].value("phase", "");
}

int64_t Generation(const Json& object) { return object["metadata"].value("generation", 0); }

bool HasFinalizer(const Json& object) {
  const Json& metadata = object["metadata"];
  if (!metadata.contains("finalizers")) return false;
  for (const Json& f : metadata["finalizers"]) {
    if (f == kCleanupFinalizer) return true;
  }
  return false;
}

bool IsBeingDeleted(const Json& object) {
  return object["metadata"].contains("deletionTimestamp") &&
         !object["metadata"]["deletionTimestamp"].is_null();
}

std::vector<std::string> StringList(const Json& status, const char* key) {
  std::vector<std::string> out;
  if (status.contains(key) && status[key].is_array()) {
    for (const Json& v : status[key]) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// The silos of status.silos that take part (everything but Excluded).
std::vector<std::string> Participants(const Json& object) {
  std::vector<std::string> out;
  const Json& status = object.contains("status") ? object["status"] : Json::object();
  if (!status.contains("silos")) return out;
  for (const Json& silo : status["silos"]) {
    if (silo.value("state", "") != "Excluded") out.push_back(silo.value("name", ""));
  }
  return out;
}

Json* SiloEntry(Json& object, const std::string& name) {
  Json& status = Status(object);
  if (!status.contains("silos")) return nullptr;
  for (Json& silo : status["silos"]) {
    if (silo.value("name", "") == name) return &silo;
  }
  return nullptr;
}

// Whether the silo, as just listed, holds a reservation for `round`. A
// round's reservations are made only by its own reconcile, which the work
// queue never runs twice at once, so a fresh list cannot miss one; checking
// first spares a read of every silo that has nothing to release.
bool HoldsReservation(const CandidateSilo& silo, const std::string& round) {
  if (!silo.status.contains("ledger") || !silo.status["ledger"].contains("reservations")) {
    return false;
  }
  for (const Json& reservation : silo.status["ledger"]["reservations"]) {
    if (reservation.is_object() && reservation.value("round", "") == round) return true;
  }
  return false;
}

Json RdpJson(const privacy::RdpCurve& curve) {
  return {{"orders", curve.orders()}, {"values", curve.values()}};
}

// Copies the aggregator's federated evaluation of the released model into
// status.model; returns a phrase for the Succeeded condition ("; roc_auc
// 0.81 on 150 held-out rows"), or why there are no metrics.
std::string CopyEvaluation(const Json& aggregate, Json& model) {
  const Json evaluation = aggregate.value("evaluation", Json());
  if (!evaluation.is_object()) {
    const std::string failure = aggregate.value("evaluationFailure", Json()).is_string()
                                    ? aggregate["evaluationFailure"].get<std::string>()
                                    : "";
    return failure.empty() ? "" : "; no metrics (" + failure + ")";
  }
  if (evaluation.contains("metrics") && evaluation["metrics"].is_object()) {
    model["metrics"] = evaluation["metrics"];
  }
  const int64_t examples = evaluation.value("examples", int64_t{0});
  model["evaluatedExamples"] = examples;
  const Json primary = evaluation.value("primaryMetric", Json());
  if (!primary.is_object() || !primary.contains("name") || !primary["value"].is_number()) {
    return "; evaluated on " + std::to_string(examples) + " held-out rows";
  }
  model["primaryMetric"] = primary;
  char value[32];
  std::snprintf(value, sizeof value, "%.4g", primary["value"].get<double>());
  return "; " + primary["name"].get<std::string>() + " " + value + " on " +
         std::to_string(examples) + " held-out rows";
}

}  // namespace

FederatedRoundReconciler::FederatedRoundReconciler(kube::Client& hub, ClusterConnections& clusters,
                                                   AggregatorAdmin& aggregator,
                                                   kube::EventRecorder* events,
                                                   RoundControllerOptions options)
    : hub_(hub),
      clusters_(clusters),
      aggregator_(aggregator),
      events_(events),
      options_(std::move(options)) {}

ReconcileResult FederatedRoundReconciler::Reconcile(const kube::ObjectKey& key) {
  Json object;
  try {
    object = hub_.Get(kFederatedRounds, key);
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return {};  // deleted; the finalizer did the cleanup
    throw;
  }
  if (IsBeingDeleted(object)) return Finalize(object);
  if (!HasFinalizer(object)) {
    // Before anything is created anywhere, so nothing can be orphaned.
    object["metadata"]["finalizers"].push_back(kCleanupFinalizer);
    object = hub_.Update(kFederatedRounds, object);
  }
  FederatedRound round;
  try {
    round = ParseFederatedRound(object);
  } catch (const ConfigError& e) {
    if (Phase(object) == kPhaseSucceeded || Phase(object) == kPhaseFailed) return {};
    Fail(object, "InvalidSpec", e.what());
    kube::SetCondition(Status(object)["conditions"], kConditionLedgerSettled, "True",
                       "NothingReserved", "the round was never admitted", Generation(object),
                       options_.now());
    WriteStatus(object);
    return {};
  }
  const std::string phase = Phase(object);
  if (phase.empty() || phase == kPhasePending || phase == "Admitted") return Admit(object, round);
  if (phase == kPhaseRunning) return Follow(object, round);
  return Settle(object, round);
}

// --- admission ---------------------------------------------------------------

std::optional<std::string> FederatedRoundReconciler::BaseModel(const FederatedRound& round,
                                                               bool* waiting,
                                                               std::string* why) const {
  *waiting = false;
  if (round.base_model_digest) return round.base_model_digest;
  if (!round.previous_round) return std::nullopt;
  Json previous;
  try {
    previous = hub_.Get(kFederatedRounds, {round.namespace_, *round.previous_round});
  } catch (const kube::ApiError& e) {
    if (!e.IsNotFound()) throw;
    *waiting = true;
    *why = "waiting for FederatedRound " + *round.previous_round + ", which does not exist";
    return std::nullopt;
  }
  const std::string phase = Phase(previous);
  if (phase == kPhaseFailed) {
    throw ConfigError("spec.baseModel.previousRound",
                      "FederatedRound " + *round.previous_round + " failed; it has no model");
  }
  const Json& status = previous.contains("status") ? previous["status"] : Json::object();
  if (phase != kPhaseSucceeded || !status.contains("model") ||
      !status["model"].contains("digest")) {
    *waiting = true;
    *why = "waiting for FederatedRound " + *round.previous_round + " to succeed (phase " +
           (phase.empty() ? "Pending" : phase) + ")";
    return std::nullopt;
  }
  return status["model"]["digest"].get<std::string>();
}

std::vector<CandidateSilo> FederatedRoundReconciler::Candidates(
    const std::string& namespace_) const {
  std::vector<CandidateSilo> out;
  for (const Json& silo : kube::ListAll(hub_, kRegionSilos, namespace_).items) {
    try {
      out.push_back(CandidateFromObject(silo));
    } catch (const ConfigError&) {
      // A malformed RegionSilo is reported on its own status by its
      // controller; it cannot take part in a round.
    }
  }
  return out;
}

void FederatedRoundReconciler::Reserve(const FederatedRound& round, RoundAdmission& admission,
                                       const std::vector<CandidateSilo>& candidates) {
  std::set<std::string> eligible;
  for (SiloAdmission& silo : admission.silos) {
    if (!silo.eligible) continue;
    try {
      UpdateSiloLedger(hub_, {round.namespace_, silo.name}, [&](SiloLedger& ledger) {
        return ledger.Reserve(round.name, silo.charge, options_.now());
      });
      eligible.insert(silo.name);
    } catch (const privacy::BudgetExceededError& e) {
      // Another round took the budget between the admission and now.
      silo.eligible = false;
      silo.reason = kReasonBudgetExhausted;
      silo.message = e.what();
    }
  }
  // A repeated admission may exclude a silo an earlier attempt reserved.
  for (const CandidateSilo& candidate : candidates) {
    if (eligible.count(candidate.spec.name) || !HoldsReservation(candidate, round.name)) continue;
    UpdateSiloLedger(hub_, {round.namespace_, candidate.spec.name},
                     [&](SiloLedger& ledger) { return ledger.Release(round.name); });
  }
}

ReconcileResult FederatedRoundReconciler::Admit(Json& object, const FederatedRound& round) {
  Json& status = Status(object);
  const int64_t generation = Generation(object);
  bool waiting = false;
  std::string why;
  std::optional<std::string> base;
  try {
    base = BaseModel(round, &waiting, &why);
  } catch (const ConfigError& e) {
    Fail(object, "BaseModelUnavailable", e.what());
    kube::SetCondition(status["conditions"], kConditionLedgerSettled, "True", "NothingReserved",
                       "the round was never admitted", generation, options_.now());
    WriteStatus(object);
    return {};
  }
  if (waiting) {
    status["phase"] = kPhasePending;
    kube::SetCondition(status["conditions"], kConditionAdmitted, "False", "WaitingForBaseModel",
                       why, generation, options_.now());
    WriteStatus(object);
    return {options_.poll_interval};
  }

  const std::vector<CandidateSilo> candidates = Candidates(round.namespace_);
  RoundAdmission admission = AdmitRound(round, candidates);
  if (admission.admitted) Reserve(round, admission, candidates);

  Json silos = Json::array();
  double max_charge = 0;
  const privacy::RdpCurve* rdp = nullptr;
  for (const SiloAdmission& silo : admission.silos) {
    Json entry = {{"name", silo.name}, {"state", silo.eligible ? "Admitted" : "Excluded"}};
    if (silo.eligible) {
      entry["epsilonCharged"] = silo.epsilon_charge;
      max_charge = std::max(max_charge, silo.epsilon_charge);
      rdp = &silo.charge;
    } else {
      entry["reason"] = silo.reason;
      entry["message"] = silo.message;
    }
    silos.push_back(std::move(entry));
  }
  status["silos"] = std::move(silos);
  status["participants"] = admission.Eligible();
  status["observedGeneration"] = generation;

  if (!admission.admitted || admission.Eligible() < round.min_participants) {
    // Nothing may stay reserved for a round that will not run.
    for (const CandidateSilo& candidate : candidates) {
      // Reserved just now (the list predates it), or by an earlier attempt.
      const bool reserved_now =
          admission.admitted &&
          std::any_of(admission.silos.begin(), admission.silos.end(), [&](const SiloAdmission& s) {
            return s.eligible && s.name == candidate.spec.name;
          });
      if (!reserved_now && !HoldsReservation(candidate, round.name)) continue;
      UpdateSiloLedger(hub_, {round.namespace_, candidate.spec.name},
                       [&](SiloLedger& ledger) { return ledger.Release(round.name); });
    }
    const std::string message = admission.admitted
                                    ? "fewer than minParticipants silos could reserve their charge"
                                    : admission.message;
    kube::SetCondition(status["conditions"], kConditionAdmitted, "False",
                       kReasonInsufficientParticipants, message, generation, options_.now());
    Fail(object, kReasonInsufficientParticipants, message);
    kube::SetCondition(status["conditions"], kConditionLedgerSettled, "True", "NothingReserved",
                       "every reservation was released", generation, options_.now());
    WriteStatus(object);
    return {};
  }

  status["phase"] = kPhaseRunning;
  status["startTime"] = Now();
  status["privacy"] = {{"epsilonCharged", max_charge}};
  if (rdp != nullptr) status["privacy"]["rdp"] = RdpJson(*rdp);
  status["model"] = {{"baseModel", base.value_or("")}};
  kube::SetCondition(status["conditions"], kConditionAdmitted, "True", kReasonAdmitted,
                     admission.message, generation, options_.now());
  kube::SetCondition(status["conditions"], kConditionLedgerSettled, "False", "Reserved",
                     "each participant's charge is reserved in its ledger", generation,
                     options_.now());
  WriteStatus(object);
  Event(object, "Normal", "Admitted", admission.message);
  return {std::chrono::milliseconds(0)};
}

// --- running -------------------------------------------------------------------

Json FederatedRoundReconciler::EnsureJob(const FederatedRound& round, const RegionSiloSpec& silo,
                                         kube::Client& cluster,
                                         std::optional<Clock::time_point> started) {
  const kube::ObjectKey key{silo.TargetNamespace(), WorkerJobName(round.name, silo.name)};
  // Read first: this runs every poll, and the Job exists after the first.
  try {
    return cluster.Get(kube::resources::kJobs, key);
  } catch (const kube::ApiError& e) {
    if (!e.IsNotFound()) throw;
  }
  WorkerJobOptions job_options = options_.job;
  if (started) {
    // The worker may run only for what is left of the round.
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(
        *started + std::chrono::seconds(round.deadlines.round_seconds) - options_.now());
    job_options.active_deadline_seconds = std::max<int64_t>(1, left.count());
  }
  try {
    return cluster.Create(kube::resources::kJobs, BuildWorkerJob(round, silo, job_options));
  } catch (const kube::ApiError& e) {
    if (!e.IsAlreadyExists()) throw;  // created since the read
  }
  return cluster.Get(kube::resources::kJobs, key);
}

ReconcileResult FederatedRoundReconciler::Follow(Json& object, const FederatedRound& round) {
  Json& status = Status(object);
  const Json before = status;  // write only what changed: this runs every poll
  const auto started = kube::ParseRfc3339(status.value("startTime", ""));
  const std::vector<std::string> participants = Participants(object);
  std::vector<ParticipantSilo> roster;
  std::vector<RegionSiloSpec> specs;
  for (const std::string& name : participants) {
    const RegionSiloSpec spec = ParseRegionSilo(hub_.Get(kRegionSilos, {round.namespace_, name}));
    roster.push_back({spec.name, spec.privacy_budget.epsilon, spec.privacy_budget.delta});
    specs.push_back(spec);
  }
  const std::string base = status.contains("model") ? status["model"].value("baseModel", "") : "";
  std::optional<Json> aggregate = aggregator_.GetRound(round.name);
  if (!aggregate) {
    aggregate = aggregator_.PutRound(ToAggregatorRoundConfig(
        round, roster, base.empty() ? std::nullopt : std::optional<std::string>(base)));
  }
  for (const RegionSiloSpec& spec : specs) {
    const ClusterConnections::Connection connection = clusters_.For(spec);
    const JobOutcome outcome = InspectJob(EnsureJob(round, spec, *connection.client, started));
    Json* entry = SiloEntry(object, spec.name);
    if (entry == nullptr) continue;
    (*entry)["cluster"] = connection.cluster;
    (*entry)["job"] = WorkerJobName(round.name, spec.name);
    if (outcome.state == JobOutcome::State::kFailed) {
      (*entry)["state"] = "Dropped";
      (*entry)["reason"] = "WorkerFailed";
      (*entry)["message"] = outcome.message;
    } else if ((*entry)["state"] == "Admitted") {
      (*entry)["state"] = "Running";
    }
  }

  const std::string phase = aggregate->value("phase", "");
  status["aggregatorPhase"] = phase;
  const int64_t generation = Generation(object);
  if (phase == "succeeded") {
    CommitCharges(round, *aggregate);
    const std::vector<std::string> contributors = StringList(*aggregate, "contributors");
    for (Json& entry : status["silos"]) {
      if (entry["state"] == "Excluded") continue;
      if (Contains(contributors, entry.value("name", ""))) {
        entry["state"] = "Submitted";
        entry.erase("reason");
        entry.erase("message");
      } else {
        entry["state"] = "Dropped";
        if (!entry.contains("reason")) entry["reason"] = "NotInAggregate";
      }
    }
    status["participants"] = contributors.size();
    status["phase"] = kPhaseSucceeded;
    status["completionTime"] = Now();
    status["model"]["digest"] = aggregate->value("model", "");
    const std::string message = std::to_string(contributors.size()) + " silos contributed; model " +
                                aggregate->value("model", "") +
                                CopyEvaluation(*aggregate, status["model"]);
    kube::SetCondition(status["conditions"], kConditionSucceeded, "True", "AggregateReleased",
                       message, generation, options_.now());
    kube::SetCondition(status["conditions"], kConditionLedgerSettled, "True", "Committed",
                       "contributors' charges committed, the rest released", generation,
                       options_.now());
    WriteStatus(object);
    Event(object, "Normal", "Succeeded", message);
    return {};
  }
  if (phase == "failed") {
    ReleaseAll(round);
    Fail(object, "AggregationFailed",
         aggregate->value("failure", "the aggregator failed the round"));
    kube::SetCondition(status["conditions"], kConditionLedgerSettled, "True", "Released",
                       "nothing was released, so every reservation was", generation,
                       options_.now());
    WriteStatus(object);
    return {};
  }
  if (started && options_.now() - *started > std::chrono::seconds(round.deadlines.round_seconds)) {
    // The aggregator may still release the round: keep the reservations
    // until it says (Settle).
    Fail(object, "DeadlineExceeded",
         "the round ran longer than spec.deadlines.roundSeconds (" +
             std::to_string(round.deadlines.round_seconds) + " s); aggregator phase " + phase);
    WriteStatus(object);
    return {kSettleInterval};
  }
  if (status != before) WriteStatus(object);
  return {options_.poll_interval};
}

// --- settling the ledger ---------------------------------------------------------

void FederatedRoundReconciler::CommitCharges(const FederatedRound& round,
                                             const Json& aggregator_status) {
  const std::vector<std::string> contributors = StringList(aggregator_status, "contributors");
  for (const CandidateSilo& candidate : Candidates(round.namespace_)) {
    const std::string& name = candidate.spec.name;
    // A contributor is always committed (with or without a reservation);
    // anyone else only has something to release if it holds a reservation.
    if (!Contains(contributors, name) && !HoldsReservation(candidate, round.name)) continue;
    UpdateSiloLedger(hub_, {round.namespace_, name}, [&](SiloLedger& ledger) {
      if (!Contains(contributors, name)) return ledger.Release(round.name);
      // The charge is passed explicitly so a lost reservation can never turn
      // a released update into an uncounted one.
      const privacy::RdpCurve charge =
          RoundCharge(round.privacy.sampling_rate, round.privacy.noise_multiplier,
                      round.local_steps, ledger.orders());
      return ledger.Commit(round.name, charge);
    });
  }
}

void FederatedRoundReconciler::ReleaseAll(const FederatedRound& round) {
  for (const CandidateSilo& candidate : Candidates(round.namespace_)) {
    if (!HoldsReservation(candidate, round.name)) continue;
    UpdateSiloLedger(hub_, {round.namespace_, candidate.spec.name},
                     [&](SiloLedger& ledger) { return ledger.Release(round.name); });
  }
}

ReconcileResult FederatedRoundReconciler::Settle(Json& object, const FederatedRound& round) {
  Json& status = Status(object);
  if (kube::IsTrue(status.value("conditions", Json::array()), kConditionLedgerSettled)) return {};
  const std::optional<Json> aggregate = aggregator_.GetRound(round.name);
  const std::string phase = aggregate ? aggregate->value("phase", "") : "";
  const int64_t generation = Generation(object);
  if (aggregate && phase == "succeeded") {
    CommitCharges(round, *aggregate);
    kube::SetCondition(status["conditions"], kConditionLedgerSettled, "True", "Committed",
                       "the aggregator released the round after it was given up: model " +
                           aggregate->value("model", "") + "; contributors' charges committed",
                       generation, options_.now());
  } else if (!aggregate || phase == "failed") {
    ReleaseAll(round);
    kube::SetCondition(status["conditions"], kConditionLedgerSettled, "True", "Released",
                       "the aggregator released nothing, so every reservation was released",
                       generation, options_.now());
  } else {
    return {kSettleInterval};  // still running in the aggregator
  }
  WriteStatus(object);
  return {};
}

// --- deletion ------------------------------------------------------------------

void FederatedRoundReconciler::DeleteJobs(const Json& object) {
  const std::string namespace_ = object["metadata"].value("namespace", "");
  const std::string round = object["metadata"].value("name", "");
  const Json& status = object.contains("status") ? object["status"] : Json::object();
  if (!status.contains("silos")) return;
  for (const Json& entry : status["silos"]) {
    if (entry.value("state", "") == "Excluded") continue;
    const std::string name = entry.value("name", "");
    RegionSiloSpec spec;
    try {
      spec = ParseRegionSilo(hub_.Get(kRegionSilos, {namespace_, name}));
    } catch (const kube::ApiError& e) {
      if (e.IsNotFound()) continue;  // its cluster is unknown now
      throw;
    }
    const ClusterConnections::Connection connection = clusters_.For(spec);
    kube::DeleteOptions options;
    // No garbage collector is needed to remove the Job's pods this way.
    options.propagation = kube::PropagationPolicy::kBackground;
    try {
      connection.client->Delete(kube::resources::kJobs,
                                {spec.TargetNamespace(), WorkerJobName(round, name)}, options);
    } catch (const kube::ApiError& e) {
      if (!e.IsNotFound()) throw;
    }
  }
}

ReconcileResult FederatedRoundReconciler::Finalize(Json& object) {
  if (!HasFinalizer(object)) return {};
  DeleteJobs(object);
  const std::string phase = Phase(object);
  if (phase == kPhaseRunning || phase == kPhaseFailed || phase == kPhaseSucceeded) {
    const FederatedRound round = ParseFederatedRound(object);
    const std::optional<Json> aggregate = aggregator_.GetRound(round.name);
    const std::string outcome = aggregate ? aggregate->value("phase", "") : "";
    if (aggregate && outcome == "succeeded") {
      CommitCharges(round, *aggregate);
    } else if (!aggregate || outcome == "failed") {
      ReleaseAll(round);
    }
    // Still running in the aggregator: the reservations stay, since it may
    // yet release the round (an over-count, never an under-count).
  } else {
    try {
      ReleaseAll(ParseFederatedRound(object));  // admitted, perhaps, before a crash
    } catch (const ConfigError&) {
      // An invalid spec was never admitted: nothing to release.
    }
  }
  Json& finalizers = object["metadata"]["finalizers"];
  Json kept = Json::array();
  for (const Json& f : finalizers) {
    if (f != kCleanupFinalizer) kept.push_back(f);
  }
  finalizers = std::move(kept);
  hub_.Update(kFederatedRounds, object);
  return {};
}

// --- status ----------------------------------------------------------------------

void FederatedRoundReconciler::Fail(Json& object, const std::string& reason,
                                    const std::string& message) {
  Json& status = Status(object);
  const int64_t generation = Generation(object);
  status["phase"] = kPhaseFailed;
  status["completionTime"] = Now();
  kube::SetCondition(status["conditions"], kConditionFailed, "True", reason, message, generation,
                     options_.now());
  kube::SetCondition(status["conditions"], kConditionSucceeded, "False", reason, message,
                     generation, options_.now());
  Event(object, "Warning", reason.c_str(), message);
}

void FederatedRoundReconciler::WriteStatus(Json& object) {
  Status(object)["observedGeneration"] = Generation(object);
  object = hub_.UpdateStatus(kFederatedRounds, object);
}

void FederatedRoundReconciler::Event(const Json& object, const char* type, const char* reason,
                                     const std::string& note) {
  if (events_ != nullptr) events_->Record(object, type, reason, "Reconcile", note);
}

std::string FederatedRoundReconciler::Now() const { return kube::FormatRfc3339(options_.now()); }

}  // namespace fedcrm::op
