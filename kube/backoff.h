// Reconnect backoff for watches, after client-go's exponential backoff
// manager: the delay doubles from `initial` up to `cap`, gets a random extra
// of up to `jitter` times itself, and starts over once the connection has
// stayed up longer than `reset_after` since the last retry.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "kube/clock.h"

namespace fedcrm::kube {

struct BackoffOptions {
  Clock::Duration initial = std::chrono::milliseconds(800);
  Clock::Duration cap = std::chrono::seconds(30);
  double factor = 2.0;
  double jitter = 1.0;  // extra in [0, jitter * delay)
  Clock::Duration reset_after = std::chrono::minutes(2);
  Clock* clock = nullptr;  // null: the real steady clock
  std::uint64_t seed = 0;  // 0: seeded from std::random_device
};

// Not thread-safe: one per watch loop.
class Backoff {
 public:
  explicit Backoff(BackoffOptions options = {});

  // The delay to wait before the next reconnect attempt.
  Clock::Duration Next();
  // Starts over from `initial` (e.g. after a successful relist).
  void Reset();

 private:
  BackoffOptions options_;
  Clock* clock_;
  std::mt19937_64 rng_;
  Clock::Duration current_;
  Clock::TimePoint last_;
  bool started_ = false;
};

}  // namespace fedcrm::kube
