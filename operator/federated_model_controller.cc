#include "operator/federated_model_controller.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "core/common/error.h"
#include "core/privacy/rdp_conversion.h"
#include "kube/api_error.h"
#include "kube/conditions.h"
#include "operator/cron_schedule.h"
#include "operator/fedcrm_resources.h"
#include "operator/federated_round.h"
#include "operator/json_fields.h"
#include "operator/label_selector.h"
#include "operator/object_names.h"
#include "operator/privacy_ledger.h"
#include "operator/region_silo.h"

namespace fedcrm::op {
namespace {

using kube::Json;
using Clock = std::chrono::system_clock;

constexpr char kRoundSucceeded[] = "Succeeded";
constexpr char kRoundFailed[] = "Failed";

struct MetricTarget {
  std::string name;
  std::optional<double> at_least;
  std::optional<double> at_most;
};

struct ModelSpec {
  std::string name;
  std::string namespace_;
  std::string uid;
  int64_t generation = 0;
  std::optional<int64_t> rounds;  // nullopt: no limit
  bool suspend = false;
  std::optional<CronSchedule> schedule;  // nullopt: each round at once
  int64_t max_consecutive_failures = 3;
  std::optional<MetricTarget> metric;
  std::optional<double> epsilon_cap;
  std::optional<std::string> promoted_round;
  Json template_metadata = Json::object();
  Json template_spec = Json::object();
};

ModelSpec ParseModel(const Json& object) {
  const FieldPath at(DescribeObject(object, kFederatedModelKind), "");
  ModelSpec out;
  const Json& metadata = RequiredObject(object, "metadata", at);
  const FieldPath m = at.Child("metadata");
  out.name = RequiredString(metadata, "name", m);
  out.namespace_ = OptionalString(metadata, "namespace", m, "");
  out.uid = OptionalString(metadata, "uid", m, "");
  out.generation = OptionalInteger(metadata, "generation", m, 0, 0, INT64_MAX);

  const Json& spec = RequiredObject(object, "spec", at);
  const FieldPath s = at.Child("spec");
  if (FindField(spec, "rounds") != nullptr) {
    out.rounds = RequiredInteger(spec, "rounds", s, 1, 100000);
  }
  if (const Json* suspend = FindField(spec, "suspend")) {
    if (!suspend->is_boolean()) throw s.Child("suspend").Error("expected true or false");
    out.suspend = suspend->get<bool>();
  }
  if (FindField(spec, "schedule") != nullptr) {
    const std::string schedule = RequiredString(spec, "schedule", s);
    try {
      out.schedule = CronSchedule::Parse(schedule);
      // Whether a schedule ever fires does not depend on where the search
      // starts, so a schedule that never does is a spec error found here.
      out.schedule->Next(Clock::time_point{});
    } catch (const ConfigError& e) {
      throw s.Child("schedule").Error(e.problem());
    }
  }
  out.max_consecutive_failures = OptionalInteger(spec, "maxConsecutiveFailures", s, 3, 1, 1000);
  const Json& stop = OptionalObject(spec, "stopWhen", s);
  const FieldPath w = s.Child("stopWhen");
  if (FindField(stop, "metric") != nullptr) {
    const Json& metric = RequiredObject(stop, "metric", w);
    const FieldPath mt = w.Child("metric");
    MetricTarget target;
    target.name = RequiredString(metric, "name", mt);
    if (FindField(metric, "atLeast"))
      target.at_least = RequiredNumber(metric, "atLeast", mt, 0, 1e9);
    if (FindField(metric, "atMost")) target.at_most = RequiredNumber(metric, "atMost", mt, 0, 1e9);
    if (target.at_least.has_value() == target.at_most.has_value()) {
      throw mt.Error("set exactly one of atLeast and atMost");
    }
    out.metric = std::move(target);
  }
  if (FindField(stop, "epsilonSpent") != nullptr) {
    out.epsilon_cap = RequiredNumber(stop, "epsilonSpent", w, 0, 1000, /*min_open=*/true);
  }
  if (FindField(spec, "promotedRound") != nullptr) {
    out.promoted_round = RequiredString(spec, "promotedRound", s);
  }
  const Json& tmpl = RequiredObject(spec, "roundTemplate", s);
  const FieldPath t = s.Child("roundTemplate");
  out.template_metadata = OptionalObject(tmpl, "metadata", t);
  out.template_spec = RequiredObject(tmpl, "spec", t);
  return out;
}

struct RoundInfo {
  int64_t ordinal = 0;
  std::string name;
  std::string phase;
  std::string creation_timestamp;  // metadata.creationTimestamp, RFC 3339
  Json status = Json::object();
};

bool Finished(const RoundInfo& round) {
  return round.phase == kRoundSucceeded || round.phase == kRoundFailed;
}

RoundInfo Summarize(const Json& object, int64_t ordinal) {
  RoundInfo out;
  out.ordinal = ordinal;
  out.name = object["metadata"].value("name", "");
  out.creation_timestamp = object["metadata"].value("creationTimestamp", "");
  const Json* status = FindField(object, "status");
  if (status != nullptr && status->is_object()) {
    out.status = *status;
    const Json* phase = FindField(*status, "phase");
    if (phase != nullptr && phase->is_string()) out.phase = phase->get<std::string>();
  }
  return out;
}

const Json& ModelStatus(const RoundInfo& round) {
  static const Json kNone = Json::object();
  const Json* model = FindField(round.status, "model");
  return model != nullptr && model->is_object() ? *model : kNone;
}

std::string Digest(const RoundInfo& round) {
  const Json* digest = FindField(ModelStatus(round), "digest");
  return digest != nullptr && digest->is_string() ? digest->get<std::string>() : "";
}

// status.model.primaryMetric when it is well formed.
std::optional<Json> PrimaryMetric(const RoundInfo& round) {
  const Json* metric = FindField(ModelStatus(round), "primaryMetric");
  if (metric == nullptr || !metric->is_object()) return std::nullopt;
  const Json* name = FindField(*metric, "name");
  const Json* value = FindField(*metric, "value");
  if (name == nullptr || !name->is_string() || value == nullptr || !value->is_number()) {
    return std::nullopt;
  }
  return *metric;
}

// The round's value of metric `name`: from status.model.metrics, or its
// primary metric when that is the one.
std::optional<double> MetricValue(const RoundInfo& round, const std::string& name) {
  const Json* metrics = FindField(ModelStatus(round), "metrics");
  if (metrics != nullptr && metrics->is_object()) {
    const Json* value = FindField(*metrics, name);
    if (value != nullptr && value->is_number()) return value->get<double>();
  }
  const std::optional<Json> primary = PrimaryMetric(round);
  if (primary && (*primary)["name"] == name) return (*primary)["value"].get<double>();
  return std::nullopt;
}

bool LowerIsBetter(const std::string& metric) { return metric == "log_loss" || metric == "brier"; }

// latestRound / bestRound: what the CRD shows of a succeeded round.
Json RoundReference(const RoundInfo& round) {
  Json out = {{"name", round.name}};
  const std::string digest = Digest(round);
  if (!digest.empty()) out["digest"] = digest;
  const Json* completion = FindField(round.status, "completionTime");
  if (completion != nullptr && completion->is_string()) out["completionTime"] = *completion;
  if (const std::optional<Json> primary = PrimaryMetric(round)) {
    out["primaryMetric"] = {{"name", (*primary)["name"]}, {"value", (*primary)["value"]}};
  }
  const Json* metrics = FindField(ModelStatus(round), "metrics");
  if (metrics != nullptr && metrics->is_object() && !metrics->empty()) out["metrics"] = *metrics;
  return out;
}

// The succeeded round with the best primary metric; without metrics, the
// latest succeeded one. `succeeded` is in ordinal order.
const RoundInfo* BestRound(const std::vector<const RoundInfo*>& succeeded) {
  const RoundInfo* best = nullptr;
  double best_value = 0;
  for (const RoundInfo* round : succeeded) {
    const std::optional<Json> primary = PrimaryMetric(*round);
    if (!primary) continue;
    const double value = (*primary)["value"].get<double>();
    const bool lower = LowerIsBetter((*primary)["name"].get<std::string>());
    // Ties go to the later round: the newer model at equal quality.
    if (best == nullptr || (lower ? value <= best_value : value >= best_value)) {
      best = round;
      best_value = value;
    }
  }
  if (best == nullptr && !succeeded.empty()) best = succeeded.back();
  return best;
}

std::string Number(double value) {
  std::ostringstream out;
  out.precision(4);
  out << value;
  return out.str();
}

// What the selected silos' ledgers say about the next round.
struct SiloBudgets {
  int silos = 0;       // selected, with a readable ledger
  int admissible = 0;  // whose remaining budget covers the next round
  double max_spent = 0;
  double max_projected = 0;  // spent and the next round's charge, composed
  std::string max_projected_silo;
};

SiloBudgets EvaluateSilos(kube::Client& hub, const FederatedRound& next) {
  SiloBudgets out;
  for (const Json& object : kube::ListAll(hub, kRegionSilos, next.namespace_).items) {
    try {
      const RegionSiloSpec silo = ParseRegionSilo(object);
      if (!MatchesLabelSelector(next.silo_selector, silo.labels)) continue;
      const Json* status = FindField(object, "status");
      const Json* ledger_json = status != nullptr ? FindField(*status, "ledger") : nullptr;
      const SiloLedger ledger =
          SiloLedger::FromStatus(ledger_json ? *ledger_json : Json(), silo.privacy_budget);
      const privacy::RdpCurve charge =
          RoundCharge(next.privacy.sampling_rate, next.privacy.noise_multiplier, next.local_steps,
                      ledger.orders());
      const double projected =
          privacy::EpsilonFromRdp(ledger.composed() + charge, ledger.delta()).epsilon;
      ++out.silos;
      out.max_spent = std::max(out.max_spent, ledger.EpsilonSpent());
      if (projected > out.max_projected) {
        out.max_projected = projected;
        out.max_projected_silo = silo.name;
      }
      if (ledger.Admit(next.name, charge).admitted) ++out.admissible;
    } catch (const ConfigError&) {
      // A malformed silo or ledger is reported on the silo; round admission
      // excludes it, so it neither counts nor stops the line.
    }
  }
  return out;
}

Json& Status(Json& object) {
  if (!object.contains("status") || !object["status"].is_object())
    object["status"] = Json::object();
  return object["status"];
}

std::string Phase(const Json& status) {
  const Json* phase = FindField(status, "phase");
  return phase != nullptr && phase->is_string() ? phase->get<std::string>() : "";
}

// An RFC 3339 time field; nullopt when absent or not in that form.
std::optional<Clock::time_point> TimeField(const Json& parent, const char* key) {
  const Json* value = FindField(parent, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return kube::ParseRfc3339(value->get<std::string>());
}

// When the line's schedule lets its next round start: the first tick after
// the latest round finished, or after the model was created. Ticks missed
// while a round ran are not made up (a CronJob with concurrencyPolicy
// Forbid and no backlog). nullopt: no time to count from, start at once.
std::optional<Clock::time_point> NextRoundTime(const CronSchedule& schedule, const Json& model,
                                               const RoundInfo* latest) {
  std::optional<Clock::time_point> since;
  if (latest != nullptr) {
    // A finished round without completionTime (edited by hand) counts from
    // its creation, which is stable, so the wait still ends.
    since = TimeField(latest->status, "completionTime");
    if (!since) since = kube::ParseRfc3339(latest->creation_timestamp);
  }
  if (!since) {
    const Json* metadata = FindField(model, "metadata");
    if (metadata != nullptr && metadata->is_object()) {
      since = TimeField(*metadata, "creationTimestamp");
    }
  }
  if (!since) return std::nullopt;
  return schedule.Next(*since);
}

// The next round of the line, from the template.
Json BuildRound(const ModelSpec& model, int64_t ordinal,
                const std::optional<std::string>& previous_round) {
  Json metadata = {{"name", ModelRoundName(model.name, ordinal)}, {"namespace", model.namespace_}};
  Json labels = Json::object();
  if (const Json* given = FindField(model.template_metadata, "labels")) labels = *given;
  labels[kModelLabel] = LabelValue(model.name);
  metadata["labels"] = std::move(labels);
  if (const Json* annotations = FindField(model.template_metadata, "annotations")) {
    metadata["annotations"] = *annotations;
  }
  if (!model.uid.empty()) {
    metadata["ownerReferences"] = {{{"apiVersion", kApiVersion},
                                    {"kind", kFederatedModelKind},
                                    {"name", model.name},
                                    {"uid", model.uid},
                                    {"controller", true},
                                    {"blockOwnerDeletion", true}}};
  }
  Json spec = model.template_spec;
  spec["modelLine"] = model.name;
  // The first round starts from the template's base model, if any; every
  // later one from the latest model of the line.
  if (previous_round) spec["baseModel"] = {{"previousRound", *previous_round}};
  return {{"apiVersion", kApiVersion},
          {"kind", kFederatedRoundKind},
          {"metadata", std::move(metadata)},
          {"spec", std::move(spec)}};
}

}  // namespace

FederatedModelReconciler::FederatedModelReconciler(kube::Client& hub, kube::EventRecorder* events,
                                                   ModelControllerOptions options)
    : hub_(hub), events_(events), options_(std::move(options)) {}

ReconcileResult FederatedModelReconciler::Reconcile(const kube::ObjectKey& key) {
  Json object;
  try {
    object = hub_.Get(kFederatedModels, key);
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return {};  // its rounds go with it (ownerReferences)
    throw;
  }
  const Json before = Status(object);
  Json& status = Status(object);
  const auto now = options_.now();
  const int64_t generation = object["metadata"].value("generation", int64_t{0});
  auto set = [&](const char* type, bool value, const std::string& reason,
                 const std::string& message) {
    kube::SetCondition(status["conditions"], type, value ? "True" : "False", reason, message,
                       generation, now);
  };
  auto write = [&] {
    status["observedGeneration"] = generation;
    if (status != before) object = hub_.UpdateStatus(kFederatedModels, object);
  };

  ModelSpec model;
  try {
    model = ParseModel(object);
    ParseFederatedRound(BuildRound(model, 1, std::nullopt));  // the template makes a valid round
  } catch (const ConfigError& e) {
    set(kConditionProgressing, false, "InvalidSpec", e.what());
    write();
    return {};
  }

  // The line's rounds, by ordinal.
  kube::ListOptions list;
  list.label_selector = std::string(kModelLabel) + "=" + LabelValue(model.name);
  std::map<int64_t, RoundInfo> rounds;
  for (const Json& round : kube::ListAll(hub_, kFederatedRounds, model.namespace_, list).items) {
    const std::optional<int64_t> ordinal =
        ParseRoundOrdinal(model.name, round["metadata"].value("name", ""));
    if (ordinal) rounds[*ordinal] = Summarize(round, *ordinal);
  }
  std::vector<const RoundInfo*> succeeded;
  int64_t failed = 0;
  int64_t consecutive_failures = 0;
  for (const auto& [ordinal, round] : rounds) {
    if (round.phase == kRoundSucceeded) {
      succeeded.push_back(&round);
      consecutive_failures = 0;
    } else if (round.phase == kRoundFailed) {
      ++failed;
      ++consecutive_failures;
    }
  }
  const RoundInfo* latest = rounds.empty() ? nullptr : &rounds.rbegin()->second;
  const RoundInfo* latest_succeeded = succeeded.empty() ? nullptr : succeeded.back();
  status["roundsSucceeded"] = succeeded.size();
  status["roundsFailed"] = failed;
  status["consecutiveFailures"] = consecutive_failures;
  if (latest_succeeded != nullptr) {
    status["latestRound"] = RoundReference(*latest_succeeded);
    status["bestRound"] = RoundReference(*BestRound(succeeded));
  }

  // Promotion: what GitOps deploys must be a model that exists.
  if (model.promoted_round) {
    std::optional<RoundInfo> promoted;
    const std::optional<int64_t> ordinal = ParseRoundOrdinal(model.name, *model.promoted_round);
    if (ordinal && rounds.count(*ordinal)) promoted = rounds[*ordinal];
    const std::string digest = promoted ? Digest(*promoted) : "";
    if (promoted && promoted->phase == kRoundSucceeded && !digest.empty()) {
      status["promoted"] = {{"round", *model.promoted_round}, {"digest", digest}};
      set(kConditionPromoted, true, "RoundPromoted",
          *model.promoted_round + " (" + digest + ") is the released version");
    } else {
      status.erase("promoted");
      set(kConditionPromoted, false, "RoundNotSucceeded",
          "FederatedRound " + *model.promoted_round +
              (promoted ? " has not succeeded (phase " +
                              (promoted->phase.empty() ? "Pending" : promoted->phase) + ")"
                        : " does not exist in this model line"));
    }
  } else {
    status.erase("promoted");
    kube::RemoveCondition(status["conditions"], kConditionPromoted);
  }

  const std::string phase_before = Phase(before);
  auto stop = [&](const char* phase, const char* reason, const std::string& message,
                  std::optional<std::chrono::milliseconds> requeue) -> ReconcileResult {
    const bool failure = std::string(phase) == kModelPhaseFailed;
    status["phase"] = phase;
    status["stopReason"] = reason;
    status.erase("activeRound");
    status.erase("nextRoundTime");
    set(kConditionProgressing, false, reason, message);
    set(kConditionCompleted, !failure, reason, message);
    set(kConditionFailed, failure, reason, message);
    write();
    if (phase_before != phase) {
      Event(object, failure ? "Warning" : "Normal", failure ? "Failed" : "Completed", message);
    }
    return {requeue};
  };

  const int64_t next_ordinal = latest ? latest->ordinal + 1 : 1;
  const std::optional<std::string> previous =
      latest_succeeded ? std::optional<std::string>(latest_succeeded->name) : std::nullopt;
  const Json next = BuildRound(model, next_ordinal, previous);
  const FederatedRound next_round = ParseFederatedRound(next);
  const SiloBudgets budgets = EvaluateSilos(hub_, next_round);
  status["epsilonSpent"] = budgets.max_spent;

  if (latest != nullptr && !Finished(*latest)) {
    status["phase"] = kModelPhaseTraining;
    status.erase("stopReason");
    status["activeRound"] = latest->name;
    status.erase("nextRoundTime");
    set(kConditionProgressing, true, "RoundRunning",
        "FederatedRound " + latest->name + " is running");
    write();
    return {options_.poll_interval};
  }

  // Stop conditions, most final first.
  if (consecutive_failures >= model.max_consecutive_failures) {
    return stop(kModelPhaseFailed, kStopTooManyFailures,
                std::to_string(consecutive_failures) + " rounds failed in a row (latest " +
                    latest->name + "); spec.maxConsecutiveFailures is " +
                    std::to_string(model.max_consecutive_failures),
                std::nullopt);
  }
  if (model.rounds && static_cast<int64_t>(succeeded.size()) >= *model.rounds) {
    return stop(kModelPhaseCompleted, kStopRoundLimit,
                std::to_string(succeeded.size()) + " rounds succeeded; spec.rounds is " +
                    std::to_string(*model.rounds),
                std::nullopt);
  }
  if (model.metric) {
    for (const RoundInfo* round : succeeded) {
      const std::optional<double> value = MetricValue(*round, model.metric->name);
      if (!value) continue;  // rounds may not report metrics
      const bool reached = model.metric->at_least ? *value >= *model.metric->at_least
                                                  : *value <= *model.metric->at_most;
      if (reached) {
        return stop(kModelPhaseCompleted, kStopTargetMetric,
                    round->name + " reached " + model.metric->name + " " + Number(*value),
                    std::nullopt);
      }
    }
  }
  if (model.epsilon_cap && budgets.max_projected > *model.epsilon_cap) {
    return stop(kModelPhaseCompleted, kStopEpsilonCap,
                "another round would take silo " + budgets.max_projected_silo + " to epsilon " +
                    Number(budgets.max_projected) + ", past spec.stopWhen.epsilonSpent " +
                    Number(*model.epsilon_cap),
                options_.resync_period);
  }
  // Only once enough silos exist to judge: a line created before its silos
  // waits for them rather than completing.
  if (budgets.silos >= next_round.min_participants &&
      budgets.admissible < next_round.min_participants) {
    return stop(kModelPhaseCompleted, kStopBudgetExhausted,
                "only " + std::to_string(budgets.admissible) + " of " +
                    std::to_string(budgets.silos) +
                    " selected silos have the budget for another round; minParticipants is " +
                    std::to_string(next_round.min_participants),
                options_.resync_period);
  }
  if (model.suspend) {
    status["phase"] = kModelPhaseSuspended;
    status.erase("stopReason");
    status.erase("activeRound");
    status.erase("nextRoundTime");
    set(kConditionProgressing, false, "Suspended", "spec.suspend is true");
    write();
    return {};
  }

  if (model.schedule) {
    const std::optional<Clock::time_point> start = NextRoundTime(*model.schedule, object, latest);
    if (start && *start > now) {
      const std::string at = kube::FormatRfc3339(*start);
      status["phase"] = kModelPhaseTraining;
      status.erase("stopReason");
      status.erase("activeRound");
      status["nextRoundTime"] = at;
      set(kConditionProgressing, true, "WaitingForSchedule",
          "the next round starts at " + at + " (spec.schedule \"" + model.schedule->text() + "\")");
      set(kConditionCompleted, false, "Training", "the line is training");
      set(kConditionFailed, false, "Training", "the line is training");
      write();
      // Back at the tick; sooner when the wait is long, so the status
      // follows the silos' budgets as it does for a running line.
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*start - now);
      return {std::min<std::chrono::milliseconds>(wait, options_.resync_period)};
    }
  }

  const std::string name = next["metadata"]["name"];
  try {
    hub_.Create(kFederatedRounds, next);
    Event(object, "Normal", "RoundCreated",
          "created FederatedRound " + name +
              (previous ? " from the model of " + *previous : std::string(" from the template")));
  } catch (const kube::ApiError& e) {
    // Created by an earlier reconcile whose status write was lost.
    if (!e.IsAlreadyExists()) throw;
  }
  status["phase"] = kModelPhaseTraining;
  status.erase("stopReason");
  status["activeRound"] = name;
  status.erase("nextRoundTime");
  set(kConditionProgressing, true, "RoundRunning", "FederatedRound " + name + " is running");
  set(kConditionCompleted, false, "Training", "the line is training");
  set(kConditionFailed, false, "Training", "the line is training");
  write();
  return {options_.poll_interval};
}

void FederatedModelReconciler::Event(const Json& object, const char* type, const char* reason,
                                     const std::string& note) {
  if (events_ != nullptr) events_->Record(object, type, reason, "Reconcile", note);
}

std::optional<kube::ObjectKey> ModelOfRound(const Json& round) {
  const Json* metadata = FindField(round, "metadata");
  if (metadata == nullptr || !metadata->is_object()) return std::nullopt;
  const std::string namespace_ = metadata->value("namespace", "");
  if (const Json* owners = FindField(*metadata, "ownerReferences"); owners && owners->is_array()) {
    for (const Json& owner : *owners) {
      if (!owner.is_object() || owner.value("kind", "") != kFederatedModelKind) continue;
      if (owner.value("apiVersion", "").rfind(std::string(kGroup) + "/", 0) != 0) continue;
      const std::string name = owner.value("name", "");
      if (kube::IsValidObjectName(name)) return kube::ObjectKey{namespace_, name};
    }
  }
  // A label value is the model's name unless the name was too long for one
  // (then it is hashed, and only the ownerReference names the model).
  const Json* labels = FindField(*metadata, "labels");
  const Json* model = labels && labels->is_object() ? FindField(*labels, kModelLabel) : nullptr;
  if (model != nullptr && model->is_string()) {
    const std::string name = model->get<std::string>();
    const std::string round_name = metadata->value("name", "");
    if (kube::IsValidObjectName(name) && ParseRoundOrdinal(name, round_name)) {
      return kube::ObjectKey{namespace_, name};
    }
  }
  return std::nullopt;
}

}  // namespace fedcrm::op
