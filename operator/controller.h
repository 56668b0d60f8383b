// The loop around one Reconciler, as controller-runtime runs it: keys come
// in from watches (Enqueue), a rate-limited work queue deduplicates them and
// never hands one key to two workers at once; a reconcile that throws is
// retried with per-key exponential backoff, one that asks for it is looked at
// again after a delay, and one that succeeds forgets its backoff.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "kube/work_queue.h"
#include "operator/operator_metrics.h"
#include "operator/reconciler.h"

namespace fedcrm::op {

class Controller {
 public:
  // `metrics` may be null.
  Controller(std::string name, Reconciler& reconciler, OperatorMetrics* metrics, int workers = 1);
  ~Controller();  // stops and joins the workers
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // "namespace/name" (kube::ObjectKey::ToString) of an object to reconcile.
  void Enqueue(const std::string& key);
  void EnqueueAfter(const std::string& key, std::chrono::milliseconds delay);

  // Starts the workers; they run until Stop() (or destruction).
  void Start();
  void Stop();

  const std::string& name() const { return name_; }
  kube::WorkQueue& queue() { return *queue_; }

 private:
  void Work();
  void Process(const std::string& key);

  const std::string name_;
  Reconciler& reconciler_;
  OperatorMetrics* metrics_;
  const int workers_;
  std::unique_ptr<kube::WorkQueueObserver> observer_;
  std::unique_ptr<kube::WorkQueue> queue_;
  std::vector<std::thread> threads_;
};

}  // namespace fedcrm::op
