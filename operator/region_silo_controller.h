// The RegionSilo controller: reaches the silo's cluster, verifies that every
// node its worker could run on is in the silo's region, provisions there the
// worker's ServiceAccount, TLS Secret and NetworkPolicy (only once residency
// is verified: nothing of the silo's goes where its data may not), and keeps
// the derived values of the privacy ledger in status current.
//
// Conditions: Reachable, ResidencyVerified, BudgetAvailable, and Ready
// (Reachable && ResidencyVerified && provisioned), which round admission
// reads. The ledger in status is shared with the round controllers, which
// change it through UpdateSiloLedger; this controller only recomputes its
// derived values from the object it read and writes with that object's
// resourceVersion, so a concurrent reservation makes the write fail (409)
// rather than be lost, and the retry starts from a fresh read.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "kube/client.h"
#include "kube/event_recorder.h"
#include "operator/cluster_connections.h"
#include "operator/federation_ca.h"
#include "operator/reconciler.h"
#include "operator/silo_provisioning.h"

namespace fedcrm::op {

struct RegionSiloControllerOptions {
  // Where the worker's NetworkPolicy lets it connect.
  AggregatorEndpoint aggregator;
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  // How often a silo is looked at again without a change in the hub: its
  // nodes and its certificate's age live elsewhere.
  std::chrono::milliseconds resync_period{std::chrono::minutes(5)};
  // How soon an unreachable cluster or a failed provisioning is retried.
  std::chrono::milliseconds retry_period{std::chrono::seconds(30)};
};

class RegionSiloReconciler : public Reconciler {
 public:
  RegionSiloReconciler(kube::Client& hub, ClusterConnections& clusters, const FederationCa& ca,
                       kube::EventRecorder* events, RegionSiloControllerOptions options);

  ReconcileResult Reconcile(const kube::ObjectKey& key) override;

 private:
  // Recomputes status.ledger's derived values and sets BudgetAvailable. A
  // malformed ledger is left exactly as it is.
  void RefreshLedger(const RegionSiloSpec& silo, kube::Json& status, int64_t generation);
  // Creates or repairs the worker's objects; throws on API failures.
  // Returns why the certificate was (re)issued, or "" when it was kept.
  std::string Provision(const RegionSiloSpec& silo, kube::Client& cluster);
  std::string EnsureTlsSecret(const RegionSiloSpec& silo, kube::Client& cluster);

  // Writes status when it differs from `before`; a stale object throws 409.
  void WriteStatusIfChanged(kube::Json& object, const kube::Json& before);
  void Event(const kube::Json& object, const char* type, const char* reason,
             const std::string& note);

  kube::Client& hub_;
  ClusterConnections& clusters_;
  const FederationCa& ca_;
  kube::EventRecorder* events_;
  RegionSiloControllerOptions options_;
};

}  // namespace fedcrm::op
