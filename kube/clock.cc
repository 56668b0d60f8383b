#include "kube/clock.h"

#include <algorithm>

namespace fedcrm::kube {

Clock& Clock::Real() {
  static SystemClock clock;
  return clock;
}

Clock::TimePoint FakeClock::Now() const {
  std::lock_guard<std::mutex> guard(mu_);
  return now_;
}

void FakeClock::WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          TimePoint deadline) {
  {
    // Registering and reading the time in one critical section means an
    // Advance() either happened before (we see the new time) or sees us
    // registered and notifies us once we wait, because it takes `lock` first.
    std::lock_guard<std::mutex> guard(mu_);
    if (now_ >= deadline) return;
    waiters_.push_back({&cv, lock.mutex()});
  }
  cv.wait(lock);
  std::lock_guard<std::mutex> guard(mu_);
  auto it =
      std::find_if(waiters_.begin(), waiters_.end(), [&](const Waiter& w) { return w.cv == &cv; });
  if (it != waiters_.end()) waiters_.erase(it);
}

void FakeClock::Advance(Duration d) {
  std::vector<Waiter> to_wake;
  {
    std::lock_guard<std::mutex> guard(mu_);
    now_ += d;
    to_wake = waiters_;
  }
  for (const Waiter& w : to_wake) {
    std::lock_guard<std::mutex> guard(*w.mutex);
    w.cv->notify_all();
  }
}

int FakeClock::NumWaiters() const {
  std::lock_guard<std::mutex> guard(mu_);
  return static_cast<int>(waiters_.size());
}

}  // namespace fedcrm::kube
