// A clock that the work queue and backoffs read, so that tests can move time
// by hand instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

namespace fedcrm::kube {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;

  // Blocks on `cv` (with `lock` held on entry and exit) until it is notified
  // or this clock reaches `deadline`. Spurious returns are allowed; callers
  // re-check their condition.
  virtual void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         TimePoint deadline) = 0;

  // The process-wide steady clock.
  static Clock& Real();
};

class SystemClock : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override {
    cv.wait_until(lock, deadline);
  }
};

// Time moves only on Advance(). Waiters blocked in WaitUntil are woken when
// time passes, so a test can advance the clock from another thread.
class FakeClock : public Clock {
 public:
  FakeClock() : now_(TimePoint() + std::chrono::hours(1)) {}

  TimePoint Now() const override;
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override;
  void Advance(Duration d);
  // Number of threads blocked in WaitUntil; lets tests wait for a waiter.
  int NumWaiters() const;

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mutex;
  };
  mutable std::mutex mu_;
  TimePoint now_;
  std::vector<Waiter> waiters_;
};

}  // namespace fedcrm::kube
