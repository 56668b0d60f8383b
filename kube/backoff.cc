#include "kube/backoff.h"

#include <algorithm>
#include <cassert>

namespace fedcrm::kube {

Backoff::Backoff(BackoffOptions options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : &Clock::Real()),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()),
      current_(options.initial) {
  assert(options_.initial > Clock::Duration::zero() && options_.cap >= options_.initial);
  assert(options_.factor >= 1.0 && options_.jitter >= 0.0);
}

Clock::Duration Backoff::Next() {
  Clock::TimePoint now = clock_->Now();
  // A long gap since the last retry means the stream was healthy in between,
  // so the next failure is a fresh one rather than part of a streak.
  if (!started_ || now - last_ > options_.reset_after) {
    current_ = options_.initial;
  } else {
    auto grown = std::chrono::duration_cast<Clock::Duration>(current_ * options_.factor);
    current_ = std::min(grown, options_.cap);
  }
  started_ = true;
  last_ = now;
  Clock::Duration delay = current_;
  if (options_.jitter > 0) {
    std::uniform_real_distribution<double> extra(0.0, options_.jitter);
    delay += std::chrono::duration_cast<Clock::Duration>(current_ * extra(rng_));
  }
  return delay;
}

void Backoff::Reset() {
  started_ = false;
  current_ = options_.initial;
}

}  // namespace fedcrm::kube
