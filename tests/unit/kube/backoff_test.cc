#include "kube/backoff.h"

#include <gtest/gtest.h>

namespace fedcrm::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(BackoffTest, DoublesUpToTheCapWithoutJitter) {
  FakeClock clock;
  Backoff backoff({.initial = milliseconds(100),
                   .cap = milliseconds(700),
                   .factor = 2.0,
                   .jitter = 0.0,
                   .reset_after = seconds(60),
                   .clock = &clock,
                   .seed = 1});
  std::vector<Clock::Duration> got;
  for (int i = 0; i < 5; ++i) got.push_back(backoff.Next());
  EXPECT_EQ(got,
            (std::vector<Clock::Duration>{milliseconds(100), milliseconds(200), milliseconds(400),
                                          milliseconds(700), milliseconds(700)}));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), milliseconds(100));
}

TEST(BackoffTest, ResetsAfterAHealthyPeriod) {
  FakeClock clock;
  Backoff backoff({.initial = milliseconds(100),
                   .cap = seconds(10),
                   .factor = 2.0,
                   .jitter = 0.0,
                   .reset_after = seconds(60),
                   .clock = &clock,
                   .seed = 1});
  backoff.Next();
  clock.Advance(seconds(1));
  EXPECT_EQ(backoff.Next(), milliseconds(200));
  clock.Advance(seconds(60));  // exactly the period: still the same streak
  EXPECT_EQ(backoff.Next(), milliseconds(400));
  clock.Advance(seconds(61));
  EXPECT_EQ(backoff.Next(), milliseconds(100));
}

TEST(BackoffTest, JitterStaysInRangeAndIsSeeded) {
  FakeClock clock;
  BackoffOptions options{.initial = milliseconds(100),
                         .cap = seconds(1),
                         .factor = 2.0,
                         .jitter = 0.5,
                         .reset_after = seconds(60),
                         .clock = &clock,
                         .seed = 42};
  Backoff a(options);
  Backoff b(options);
  Clock::Duration base = milliseconds(100);
  bool any_jitter = false;
  for (int i = 0; i < 8; ++i) {
    Clock::Duration d = a.Next();
    EXPECT_EQ(d, b.Next());
    EXPECT_GE(d, base);
    EXPECT_LT(d, base + base / 2);
    any_jitter = any_jitter || d != base;
    base = std::min<Clock::Duration>(base * 2, seconds(1));
  }
  EXPECT_TRUE(any_jitter);
}

}  // namespace
}  // namespace fedcrm::kube
