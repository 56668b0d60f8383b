#include "kube/work_queue.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace fedcrm::kube {

WorkQueue::WorkQueue(WorkQueueOptions options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : &Clock::Real()),
      tokens_(static_cast<double>(options.burst)),
      tokens_at_(clock_->Now()) {
  assert(options_.qps > 0 && options_.burst > 0);
  assert(options_.base_delay > Clock::Duration::zero());
  assert(options_.max_delay >= options_.base_delay);
}

WorkQueue::~WorkQueue() { ShutDown(); }

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  AddLocked(key, clock_->Now());
}

void WorkQueue::AddLocked(const std::string& key, TimePoint now) {
  if (shutting_down_ || dirty_.count(key) > 0) return;
  if (options_.observer != nullptr) options_.observer->OnAdd();
  dirty_.insert(key);
  // A key being processed goes back in line only when Done() is called, so
  // two workers never hold it at once.
  if (processing_.count(key) > 0) return;
  queue_.push_back(key);
  enqueued_at_.emplace(key, now);
  ReportDepthLocked();
  cv_.notify_one();
}

void WorkQueue::AddAfter(const std::string& key, Clock::Duration delay) {
  std::lock_guard<std::mutex> guard(mu_);
  if (shutting_down_) return;
  TimePoint now = clock_->Now();
  if (delay <= Clock::Duration::zero()) {
    AddLocked(key, now);
    return;
  }
  TimePoint ready = now + delay;
  auto it = waiting_.find(key);
  if (it != waiting_.end()) {
    if (it->second <= ready) return;
    waiting_by_time_.erase({it->second, key});
    it->second = ready;
  } else {
    waiting_.emplace(key, ready);
  }
  waiting_by_time_.emplace(ready, key);
  // A Get() may be sleeping until a later deadline.
  cv_.notify_all();
}

Clock::Duration WorkQueue::KeyBackoffLocked(const std::string& key) {
  int exponent = failures_[key]++;
  // In floating point, so that a long failure streak saturates at the cap
  // instead of overflowing the integer tick count.
  double ticks = static_cast<double>(options_.base_delay.count()) * std::ldexp(1.0, exponent);
  if (ticks >= static_cast<double>(options_.max_delay.count())) return options_.max_delay;
  return Clock::Duration(static_cast<Clock::Duration::rep>(ticks));
}

Clock::Duration WorkQueue::BucketDelayLocked(TimePoint now) {
  // Reservation semantics as in golang.org/x/time/rate: tokens may go
  // negative, and a deficit is paid back at `qps`.
  double elapsed = std::chrono::duration<double>(now - tokens_at_).count();
  if (elapsed > 0) {
    tokens_ = std::min<double>(options_.burst, tokens_ + elapsed * options_.qps);
    tokens_at_ = now;
  }
  tokens_ -= 1.0;
  if (tokens_ >= 0) return Clock::Duration::zero();
  auto wait = std::chrono::duration<double>(-tokens_ / options_.qps);
  return std::chrono::ceil<Clock::Duration>(wait);
}

void WorkQueue::AddRateLimited(const std::string& key) {
  Clock::Duration delay;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (shutting_down_) return;
    if (options_.observer != nullptr) options_.observer->OnRetry();
    Clock::Duration per_key = KeyBackoffLocked(key);
    delay = std::max(per_key, BucketDelayLocked(clock_->Now()));
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteReadyLocked(TimePoint now) {
  while (!waiting_by_time_.empty() && waiting_by_time_.begin()->first <= now) {
    std::string key = waiting_by_time_.begin()->second;
    waiting_by_time_.erase(waiting_by_time_.begin());
    waiting_.erase(key);
    AddLocked(key, now);
  }
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    TimePoint now = clock_->Now();
    PromoteReadyLocked(now);
    if (!queue_.empty() || shutting_down_) break;
    if (waiting_by_time_.empty()) {
      cv_.wait(lock);
    } else {
      clock_->WaitUntil(cv_, lock, waiting_by_time_.begin()->first);
    }
  }
  // After ShutDown the keys already queued are still handed out, so callers
  // can drain; only an empty queue ends the loop.
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  TimePoint now = clock_->Now();
  if (auto it = enqueued_at_.find(key); it != enqueued_at_.end()) {
    if (options_.observer != nullptr) options_.observer->OnQueueLatency(now - it->second);
    enqueued_at_.erase(it);
  }
  processing_.insert(key);
  started_at_[key] = now;
  dirty_.erase(key);
  ReportDepthLocked();
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  if (processing_.erase(key) == 0) return;
  TimePoint now = clock_->Now();
  if (auto it = started_at_.find(key); it != started_at_.end()) {
    if (options_.observer != nullptr) options_.observer->OnWorkDuration(now - it->second);
    started_at_.erase(it);
  }
  if (dirty_.count(key) > 0) {
    queue_.push_back(key);
    enqueued_at_.emplace(key, now);
    ReportDepthLocked();
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> guard(mu_);
  shutting_down_ = true;
  waiting_.clear();
  waiting_by_time_.clear();
  cv_.notify_all();
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard<std::mutex> guard(mu_);
  return shutting_down_;
}

std::size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> guard(mu_);
  TimePoint now = clock_->Now();
  std::size_t ready = queue_.size();
  // Delayed keys whose time has come count as ready even before a Get()
  // moves them, unless they are already queued or in flight.
  for (const auto& [when, key] : waiting_by_time_) {
    if (when > now) break;
    if (dirty_.count(key) == 0 && processing_.count(key) == 0) ++ready;
  }
  return ready;
}

std::size_t WorkQueue::NumWaiting() const {
  std::lock_guard<std::mutex> guard(mu_);
  return waiting_.size();
}

void WorkQueue::ReportDepthLocked() {
  if (options_.observer != nullptr) {
    options_.observer->OnDepth(static_cast<std::int64_t>(queue_.size()));
  }
}

}  // namespace fedcrm::kube
