// The operator's Prometheus metrics. Controller and work-queue families use
// controller-runtime's names under a `fedcrm_` prefix, so dashboards written
// for Go operators read them unchanged; the ledger gauges mirror each
// RegionSilo's status.ledger so the operator's view can be compared with the
// aggregator's release log (fedcrm_privacy_epsilon_spent).
#pragma once

#include <string>

#include "kube/work_queue.h"
#include "runtime/metric_registry.h"

namespace fedcrm::op {

class OperatorMetrics {
 public:
  OperatorMetrics();

  runtime::Registry& registry() { return registry_; }
  std::string Render() const { return registry_.Render(); }

  // result: "success", "error", "requeue_after".
  void ReconcileFinished(const std::string& controller, const std::string& result, double seconds);
  // Creates the controller's series at zero, as controller-runtime does, so
  // that rate() and increase() over them have data before the first error.
  void RegisterController(const std::string& controller);
  // A work-queue observer reporting under `queue` (the controller's name).
  std::unique_ptr<kube::WorkQueueObserver> QueueObserver(const std::string& queue);

  void SetLedger(const std::string& namespace_, const std::string& silo, double spent,
                 double reserved, double remaining, double budget);
  void RemoveLedger(const std::string& namespace_, const std::string& silo);
  void SetLeader(bool leader);

 private:
  class Observer;

  runtime::Registry registry_;
  runtime::Family<runtime::Counter>& reconcile_total_;
  runtime::Family<runtime::Counter>& reconcile_errors_total_;
  runtime::Family<runtime::Histogram>& reconcile_time_seconds_;
  runtime::Family<runtime::Gauge>& queue_depth_;
  runtime::Family<runtime::Counter>& queue_adds_total_;
  runtime::Family<runtime::Histogram>& queue_duration_seconds_;
  runtime::Family<runtime::Histogram>& work_duration_seconds_;
  runtime::Family<runtime::Counter>& queue_retries_total_;
  runtime::Family<runtime::Gauge>& epsilon_spent_;
  runtime::Family<runtime::Gauge>& epsilon_reserved_;
  runtime::Family<runtime::Gauge>& epsilon_remaining_;
  runtime::Family<runtime::Gauge>& epsilon_budget_;
  runtime::Family<runtime::Gauge>& leader_;
};

}  // namespace fedcrm::op
