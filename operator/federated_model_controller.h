// The FederatedModel controller: like a CronJob creates Jobs, it creates the
// FederatedRounds of a model line from spec.roundTemplate, one after
// another, each starting from the latest succeeded round's model, until a
// stop condition holds (spec.rounds, stopWhen.metric, stopWhen.epsilonSpent,
// the silos' budgets, or maxConsecutiveFailures failed rounds in a row).
// With spec.schedule (cron, UTC), each round waits for the first tick after
// the previous round finished (the first, after the model was created),
// shown in status.nextRoundTime; ticks missed while a round ran are dropped.
//
// Rounds are named <model>-r<N>, so creating the next one is idempotent: a
// reconcile repeated after a crash gets AlreadyExists instead of a twin.
// They carry the label fedcrm.io/model and an ownerReference to the model.
// Status: the round counts, the active, latest and best rounds, the largest
// epsilon a selected silo has spent, and the digest of spec.promotedRound.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "kube/client.h"
#include "kube/event_recorder.h"
#include "kube/resource_key.h"
#include "operator/reconciler.h"

namespace fedcrm::op {

// FederatedModel phases (status.phase) and stop reasons (status.stopReason).
inline constexpr char kModelPhaseTraining[] = "Training";
inline constexpr char kModelPhaseSuspended[] = "Suspended";
inline constexpr char kModelPhaseCompleted[] = "Completed";
inline constexpr char kModelPhaseFailed[] = "Failed";
inline constexpr char kStopRoundLimit[] = "RoundLimit";
inline constexpr char kStopTargetMetric[] = "TargetMetric";
inline constexpr char kStopEpsilonCap[] = "EpsilonCap";
inline constexpr char kStopBudgetExhausted[] = "BudgetExhausted";
inline constexpr char kStopTooManyFailures[] = "TooManyFailures";

// FederatedModel conditions.
inline constexpr char kConditionProgressing[] = "Progressing";
inline constexpr char kConditionCompleted[] = "Completed";
inline constexpr char kConditionPromoted[] = "Promoted";

struct ModelControllerOptions {
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  // How often a line with a running round is looked at even without a
  // round event (the round watch normally brings the model back sooner).
  std::chrono::milliseconds poll_interval{std::chrono::seconds(30)};
  // How often a line stopped by the silos' budgets is looked at again: a
  // budget raised on a RegionSilo does not enqueue the model.
  std::chrono::milliseconds resync_period{std::chrono::minutes(5)};
};

class FederatedModelReconciler : public Reconciler {
 public:
  FederatedModelReconciler(kube::Client& hub, kube::EventRecorder* events,
                           ModelControllerOptions options);

  ReconcileResult Reconcile(const kube::ObjectKey& key) override;

 private:
  void Event(const kube::Json& object, const char* type, const char* reason,
             const std::string& note);

  kube::Client& hub_;
  kube::EventRecorder* events_;
  ModelControllerOptions options_;
};

// The FederatedModel a FederatedRound belongs to: its controller
// ownerReference of kind FederatedModel, else its fedcrm.io/model label;
// nullopt for a round of no model. For mapping round events to the model's
// work-queue key.
std::optional<kube::ObjectKey> ModelOfRound(const kube::Json& round);

}  // namespace fedcrm::op
