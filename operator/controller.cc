#include "operator/controller.h"

#include <chrono>
#include <exception>

#include "kube/resource_key.h"
#include "runtime/log.h"

namespace fedcrm::op {
namespace {

kube::WorkQueueOptions QueueOptions(kube::WorkQueueObserver* observer) {
  kube::WorkQueueOptions options;
  options.observer = observer;
  return options;
}

}  // namespace

Controller::Controller(std::string name, Reconciler& reconciler, OperatorMetrics* metrics,
                       int workers)
    : name_(std::move(name)),
      reconciler_(reconciler),
      metrics_(metrics),
      workers_(workers),
      observer_(metrics != nullptr ? metrics->QueueObserver(name_) : nullptr),
      queue_(std::make_unique<kube::WorkQueue>(QueueOptions(observer_.get()))) {
  if (metrics_ != nullptr) metrics_->RegisterController(name_);
}

Controller::~Controller() { Stop(); }

void Controller::Enqueue(const std::string& key) { queue_->Add(key); }

void Controller::EnqueueAfter(const std::string& key, std::chrono::milliseconds delay) {
  queue_->AddAfter(key, delay);
}

void Controller::Start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
}

void Controller::Stop() {
  queue_->ShutDown();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void Controller::Work() {
  while (std::optional<std::string> key = queue_->Get()) {
    Process(*key);
    queue_->Done(*key);
  }
}

void Controller::Process(const std::string& key) {
  const auto start = std::chrono::steady_clock::now();
  std::string result = "success";
  try {
    const ReconcileResult outcome = reconciler_.Reconcile(kube::ParseObjectKey(key));
    queue_->Forget(key);
    if (outcome.requeue_after) {
      result = "requeue_after";
      queue_->AddAfter(key, *outcome.requeue_after);
    }
  } catch (const std::exception& e) {
    // Level-triggered: the next attempt starts from what the API says, so a
    // retry after any failure is safe.
    result = "error";
    runtime::Log().Warn("reconcile failed, retrying with backoff",
                        {{"controller", name_}, {"key", key}, {"error", e.what()}});
    queue_->AddRateLimited(key);
  }
  if (metrics_ != nullptr) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_->ReconcileFinished(name_, result, seconds);
  }
}

}  // namespace fedcrm::op
