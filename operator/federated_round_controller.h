// The FederatedRound controller: admits a round against every selected
// silo's privacy budget, reserves the charge, configures the aggregator,
// runs one worker Job per silo in the silo's own cluster, follows the round
// to its end, commits the charge of the silos whose updates were released
// and releases the rest, and cleans the Jobs up through a finalizer.
//
// Phases (status.phase): "" / Pending → Running → Succeeded | Failed.
// Every step is idempotent and ordered so that a crash between any two API
// calls converges, on the next reconcile, to the same state: reservations
// are written before the round says Running (a repeated admission finds them
// and adds nothing), Jobs are created under deterministic names (a repeat
// gets AlreadyExists), the aggregator answers a repeated PUT from its
// release log, and commits are recorded per round in each ledger (a repeat
// is a no-op). Failures may over-count privacy; nothing under-counts: a
// reservation is released only when the aggregator says the round failed or
// does not know it, never merely because the operator gave up waiting.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "kube/client.h"
#include "kube/event_recorder.h"
#include "operator/aggregator_admin.h"
#include "operator/cluster_connections.h"
#include "operator/federated_round.h"
#include "operator/reconciler.h"
#include "operator/round_admission.h"
#include "operator/worker_job.h"

namespace fedcrm::op {

struct RoundControllerOptions {
  WorkerJobOptions job;  // the aggregator URL workers use, the default image
  // How often a running round is looked at (its progress is in the
  // aggregator and the regional clusters, not in the hub's watch stream).
  std::chrono::milliseconds poll_interval{2000};
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

class FederatedRoundReconciler : public Reconciler {
 public:
  FederatedRoundReconciler(kube::Client& hub, ClusterConnections& clusters,
                           AggregatorAdmin& aggregator, kube::EventRecorder* events,
                           RoundControllerOptions options);

  ReconcileResult Reconcile(const kube::ObjectKey& key) override;

 private:
  ReconcileResult Admit(kube::Json& object, const FederatedRound& round);
  ReconcileResult Follow(kube::Json& object, const FederatedRound& round);
  ReconcileResult Settle(kube::Json& object, const FederatedRound& round);
  ReconcileResult Finalize(kube::Json& object);

  // The base model digest, or nullopt for a fresh model; sets `waiting` when
  // spec.baseModel.previousRound has not succeeded yet.
  std::optional<std::string> BaseModel(const FederatedRound& round, bool* waiting,
                                       std::string* why) const;
  std::vector<CandidateSilo> Candidates(const std::string& namespace_) const;
  // Reserves each eligible silo's charge; a silo whose budget was taken in
  // the meantime becomes Excluded. Releases reservations of this round held
  // by silos that are no longer eligible (a repeated admission).
  void Reserve(const FederatedRound& round, RoundAdmission& admission,
               const std::vector<CandidateSilo>& candidates);
  // The silo's worker Job in `cluster`, created when missing with an
  // activeDeadline of what is left of the round since `started`.
  kube::Json EnsureJob(const FederatedRound& round, const RegionSiloSpec& silo,
                       kube::Client& cluster,
                       std::optional<std::chrono::system_clock::time_point> started);
  void CommitCharges(const FederatedRound& round, const kube::Json& aggregator_status);
  void ReleaseAll(const FederatedRound& round);
  void DeleteJobs(const kube::Json& object);

  void Fail(kube::Json& object, const std::string& reason, const std::string& message);
  void WriteStatus(kube::Json& object);
  void Event(const kube::Json& object, const char* type, const char* reason,
             const std::string& note);
  std::string Now() const;

  kube::Client& hub_;
  ClusterConnections& clusters_;
  AggregatorAdmin& aggregator_;
  kube::EventRecorder* events_;
  RoundControllerOptions options_;
};

}  // namespace fedcrm::op
