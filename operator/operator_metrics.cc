#include "operator/operator_metrics.h"

#include <chrono>

#include "runtime/metrics.h"

namespace fedcrm::op {
namespace {

double Seconds(kube::Clock::Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

class OperatorMetrics::Observer : public kube::WorkQueueObserver {
 public:
  Observer(OperatorMetrics& metrics, std::string queue)
      : metrics_(metrics), queue_(std::move(queue)) {}
  void OnDepth(std::int64_t depth) override {
    metrics_.queue_depth_.WithLabels({queue_}).Set(static_cast<double>(depth));
  }
  void OnAdd() override { metrics_.queue_adds_total_.WithLabels({queue_}).Increment(); }
  void OnQueueLatency(kube::Clock::Duration waited) override {
    metrics_.queue_duration_seconds_.WithLabels({queue_}).Observe(Seconds(waited));
  }
  void OnWorkDuration(kube::Clock::Duration worked) override {
    metrics_.work_duration_seconds_.WithLabels({queue_}).Observe(Seconds(worked));
  }
  void OnRetry() override { metrics_.queue_retries_total_.WithLabels({queue_}).Increment(); }

 private:
  OperatorMetrics& metrics_;
  const std::string queue_;
};

OperatorMetrics::OperatorMetrics()
    : reconcile_total_(registry_.AddCounter("fedcrm_controller_runtime_reconcile_total",
                                            "Reconciliations per controller and result.",
                                            {"controller", "result"})),
      reconcile_errors_total_(registry_.AddCounter(
          "fedcrm_controller_runtime_reconcile_errors_total",
          "Reconciliations that failed and were requeued with backoff.", {"controller"})),
      reconcile_time_seconds_(registry_.AddHistogram(
          "fedcrm_controller_runtime_reconcile_time_seconds", "Time per reconciliation.",
          runtime::ExponentialBuckets(0.001, 2, 16), {"controller"})),
      queue_depth_(registry_.AddGauge("fedcrm_workqueue_depth", "Keys waiting in the work queue.",
                                      {"name"})),
      queue_adds_total_(registry_.AddCounter("fedcrm_workqueue_adds_total",
                                             "Keys added to the work queue.", {"name"})),
      queue_duration_seconds_(
          registry_.AddHistogram("fedcrm_workqueue_queue_duration_seconds",
                                 "How long a key waited in the queue before a worker took it.",
                                 runtime::ExponentialBuckets(0.001, 4, 10), {"name"})),
      work_duration_seconds_(registry_.AddHistogram(
          "fedcrm_workqueue_work_duration_seconds", "How long processing one key took.",
          runtime::ExponentialBuckets(0.001, 4, 10), {"name"})),
      queue_retries_total_(registry_.AddCounter("fedcrm_workqueue_retries_total",
                                                "Keys requeued with backoff.", {"name"})),
      epsilon_spent_(registry_.AddGauge(
          "fedcrm_silo_epsilon_spent",
          "Epsilon a RegionSilo has spent (committed rounds), from its status.ledger.",
          {"namespace", "silo"})),
      epsilon_reserved_(registry_.AddGauge(
          "fedcrm_silo_epsilon_reserved",
          "Epsilon reserved for rounds admitted but not yet released.", {"namespace", "silo"})),
      epsilon_remaining_(
          registry_.AddGauge("fedcrm_silo_epsilon_remaining",
                             "Budget minus spent and reserved epsilon (composed, not summed).",
                             {"namespace", "silo"})),
      epsilon_budget_(registry_.AddGauge("fedcrm_silo_epsilon_budget",
                                         "The RegionSilo's epsilon budget (spec.privacyBudget).",
                                         {"namespace", "silo"})),
      leader_(registry_.AddGauge("fedcrm_leader_election_master_status",
                                 "1 while this replica holds the leader Lease.")) {}

void OperatorMetrics::ReconcileFinished(const std::string& controller, const std::string& result,
                                        double seconds) {
  reconcile_total_.WithLabels({controller, result}).Increment();
  if (result == "error") reconcile_errors_total_.WithLabels({controller}).Increment();
  reconcile_time_seconds_.WithLabels({controller}).Observe(seconds);
}

void OperatorMetrics::RegisterController(const std::string& controller) {
  for (const char* result : {"success", "error", "requeue_after"}) {
    reconcile_total_.WithLabels({controller, result});
  }
  reconcile_errors_total_.WithLabels({controller});
  reconcile_time_seconds_.WithLabels({controller});
  queue_depth_.WithLabels({controller});
  queue_adds_total_.WithLabels({controller});
  queue_duration_seconds_.WithLabels({controller});
  work_duration_seconds_.WithLabels({controller});
  queue_retries_total_.WithLabels({controller});
}

std::unique_ptr<kube::WorkQueueObserver> OperatorMetrics::QueueObserver(const std::string& queue) {
  return std::make_unique<Observer>(*this, queue);
}

void OperatorMetrics::SetLedger(const std::string& namespace_, const std::string& silo,
                                double spent, double reserved, double remaining, double budget) {
  epsilon_spent_.WithLabels({namespace_, silo}).Set(spent);
  epsilon_reserved_.WithLabels({namespace_, silo}).Set(reserved);
  epsilon_remaining_.WithLabels({namespace_, silo}).Set(remaining);
  epsilon_budget_.WithLabels({namespace_, silo}).Set(budget);
}

void OperatorMetrics::RemoveLedger(const std::string& namespace_, const std::string& silo) {
  epsilon_spent_.Remove({namespace_, silo});
  epsilon_reserved_.Remove({namespace_, silo});
  epsilon_remaining_.Remove({namespace_, silo});
  epsilon_budget_.Remove({namespace_, silo});
}

void OperatorMetrics::SetLeader(bool leader) { leader_.Get().Set(leader ? 1 : 0); }

}  // namespace fedcrm::op
