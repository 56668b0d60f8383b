// A rate-limited work queue for controllers, after client-go's workqueue.
//
// Keys are deduplicated: a key added many times before a worker takes it is
// processed once. A key is never handed to two workers at once: re-adding a
// key that is being processed queues it again only after Done(key).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "kube/clock.h"

namespace fedcrm::kube {

// Hooks for controller-runtime-style metrics (workqueue_depth,
// workqueue_adds_total, workqueue_queue_duration_seconds,
// workqueue_work_duration_seconds, workqueue_retries_total). Called with the
// queue's lock held: implementations must be quick and must not call back
// into the queue.
class WorkQueueObserver {
 public:
  virtual ~WorkQueueObserver() = default;
  virtual void OnDepth(std::int64_t /*depth*/) {}
  virtual void OnAdd() {}
  virtual void OnQueueLatency(Clock::Duration /*waited*/) {}
  virtual void OnWorkDuration(Clock::Duration /*worked*/) {}
  virtual void OnRetry() {}
};

struct WorkQueueOptions {
  // Per-key exponential backoff for AddRateLimited: base * 2^failures, capped.
  Clock::Duration base_delay = std::chrono::milliseconds(5);
  Clock::Duration max_delay = std::chrono::seconds(1000);
  // Overall token bucket shared by all keys.
  double qps = 10.0;
  int burst = 100;
  Clock* clock = nullptr;                 // null: the real steady clock
  WorkQueueObserver* observer = nullptr;  // null: no metrics
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  // Adds the key once `delay` has passed; a non-positive delay adds now. A key
  // already waiting keeps the earlier of the two times.
  void AddAfter(const std::string& key, Clock::Duration delay);
  // Adds after the larger of the key's backoff and the overall rate limit.
  void AddRateLimited(const std::string& key);
  // Stops the key's backoff (call after a successful reconcile).
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Blocks until a key is ready; nullopt once shut down and drained.
  std::optional<std::string> Get();
  // Marks the key returned by Get() as finished.
  void Done(const std::string& key);

  // Wakes all Get() callers; later adds are ignored.
  void ShutDown();
  bool ShuttingDown() const;
  // Keys ready to be handed out now.
  std::size_t Len() const;
  // Keys waiting for their delay to pass.
  std::size_t NumWaiting() const;

 private:
  using TimePoint = Clock::TimePoint;

  void AddLocked(const std::string& key, TimePoint now);
  void PromoteReadyLocked(TimePoint now);
  Clock::Duration BucketDelayLocked(TimePoint now);
  Clock::Duration KeyBackoffLocked(const std::string& key);
  void ReportDepthLocked();

  WorkQueueOptions options_;
  Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;

  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_set<std::string> processing_;
  std::unordered_map<std::string, TimePoint> enqueued_at_;
  std::unordered_map<std::string, TimePoint> started_at_;
  // Delayed keys: the ready time of each key, and the same ordered by time.
  std::unordered_map<std::string, TimePoint> waiting_;
  std::set<std::pair<TimePoint, std::string>> waiting_by_time_;
  std::unordered_map<std::string, int> failures_;

  double tokens_;
  TimePoint tokens_at_;
  bool shutting_down_ = false;
};

}  // namespace fedcrm::kube
