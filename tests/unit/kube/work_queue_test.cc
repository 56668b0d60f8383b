#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace fedcrm::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Blocks until `clock` has a waiter; only scheduling, never a time assertion.
void AwaitWaiter(const FakeClock& clock) {
  while (clock.NumWaiters() == 0) std::this_thread::yield();
}

class CountingObserver : public WorkQueueObserver {
 public:
  void OnDepth(std::int64_t depth) override { last_depth = depth; }
  void OnAdd() override { ++adds; }
  void OnQueueLatency(Clock::Duration waited) override { latencies.push_back(waited); }
  void OnWorkDuration(Clock::Duration worked) override { durations.push_back(worked); }
  void OnRetry() override { ++retries; }

  std::int64_t last_depth = -1;
  int adds = 0;
  int retries = 0;
  std::vector<Clock::Duration> latencies;
  std::vector<Clock::Duration> durations;
};

TEST(WorkQueueTest, DeduplicatesAndKeepsOrder) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, KeyInFlightIsRequeuedOnlyAfterDone) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");
  q.Add("a");
  EXPECT_EQ(q.Len(), 0u);  // not handed to a second worker while in flight
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, NeverProcessesAKeyConcurrently) {
  WorkQueue q;
  std::atomic<int> in_flight{0};
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        if (in_flight.fetch_add(1) != 0) overlap = true;
        std::this_thread::yield();
        in_flight.fetch_sub(1);
        processed.fetch_add(1);
        q.Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add("only");
  // Let the queue drain before shutting down.
  while (q.Len() > 0) std::this_thread::yield();
  q.ShutDown();
  for (std::thread& t : workers) t.join();
  EXPECT_FALSE(overlap);
  EXPECT_GE(processed.load(), 1);
  EXPECT_LE(processed.load(), 2000);
}

TEST(WorkQueueTest, ShutDownDrainsThenReturnsNullopt) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.Add("a");
  q.ShutDown();
  q.Add("b");  // ignored
  EXPECT_TRUE(q.ShuttingDown());
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(WorkQueueTest, ShutDownWakesBlockedGet) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  std::optional<std::string> got = "unset";
  std::thread t([&] { got = q.Get(); });
  q.ShutDown();
  t.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST(WorkQueueTest, AddAfterWaitsForTheClock) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("late", milliseconds(100));
  q.AddAfter("later", milliseconds(200));
  q.AddAfter("late", milliseconds(500));  // keeps the earlier time
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.NumWaiting(), 2u);
  clock.Advance(milliseconds(99));
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "late");
  q.AddAfter("now", milliseconds(0));
  EXPECT_EQ(q.Get(), "now");
}

TEST(WorkQueueTest, AddAfterEarlierTimeWins) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("k", seconds(10));
  q.AddAfter("k", seconds(1));
  clock.Advance(seconds(1));
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueueTest, BlockedGetWakesWhenTimePasses) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("k", seconds(5));
  std::optional<std::string> got;
  std::thread t([&] { got = q.Get(); });
  AwaitWaiter(clock);
  clock.Advance(seconds(5));
  t.join();
  EXPECT_EQ(got, "k");
}

TEST(WorkQueueTest, BlockedGetSeesAnEarlierDelayedKey) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("slow", seconds(100));
  std::optional<std::string> got;
  std::thread t([&] { got = q.Get(); });
  AwaitWaiter(clock);
  q.AddAfter("fast", seconds(1));
  clock.Advance(seconds(1));
  t.join();
  EXPECT_EQ(got, "fast");
}

TEST(WorkQueueTest, PerKeyBackoffDoublesAndForgetResets) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddRateLimited("k");  // 5 ms
  EXPECT_EQ(q.NumRequeues("k"), 1);
  clock.Advance(milliseconds(4));
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(milliseconds(1));
  ASSERT_EQ(q.Get(), "k");
  q.AddRateLimited("k");  // 10 ms, even while in flight
  q.Done("k");
  clock.Advance(milliseconds(9));
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(q.Get(), "k");
  q.Done("k");
  EXPECT_EQ(q.NumRequeues("k"), 2);
  q.Forget("k");
  EXPECT_EQ(q.NumRequeues("k"), 0);
  q.AddRateLimited("k");
  clock.Advance(milliseconds(5));
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueueTest, PerKeyBackoffIsCapped) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  for (int i = 0; i < 100; ++i) q.AddRateLimited("k");
  EXPECT_EQ(q.NumRequeues("k"), 100);
  // The first call queued it after 5 ms; later calls can't push it back.
  clock.Advance(milliseconds(5));
  ASSERT_EQ(q.Get(), "k");
  q.Done("k");
  q.AddRateLimited("k");
  clock.Advance(seconds(1000) - milliseconds(1));
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueueTest, LargeBaseDelaySaturatesInsteadOfOverflowing) {
  FakeClock clock;
  WorkQueue q(
      {.base_delay = std::chrono::hours(1), .max_delay = std::chrono::hours(24), .clock = &clock});
  for (int i = 0; i < 70; ++i) q.AddRateLimited("k");
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(q.Len(), 1u);  // the first, 1 h, delay still holds
  ASSERT_EQ(q.Get(), "k");
  q.Done("k");
  q.AddRateLimited("k");  // 2^70 hours: capped at a day
  clock.Advance(std::chrono::hours(24));
  EXPECT_EQ(q.Len(), 1u);
}

TEST(WorkQueueTest, TokenBucketLimitsAllKeysTogether) {
  FakeClock clock;
  WorkQueue q({.qps = 10.0, .burst = 2, .clock = &clock});
  q.AddRateLimited("a");  // burst token, 5 ms backoff
  q.AddRateLimited("b");  // burst token
  q.AddRateLimited("c");  // bucket empty: 100 ms
  q.AddRateLimited("d");  // 200 ms
  clock.Advance(milliseconds(5));
  EXPECT_EQ(q.Len(), 2u);
  clock.Advance(milliseconds(94));
  EXPECT_EQ(q.Len(), 2u);
  clock.Advance(milliseconds(1));
  EXPECT_EQ(q.Len(), 3u);
  clock.Advance(milliseconds(100));
  EXPECT_EQ(q.Len(), 4u);
  // After a quiet second the bucket has refilled to its burst.
  clock.Advance(seconds(1));
  q.Forget("e");
  q.AddRateLimited("e");
  q.AddRateLimited("f");
  clock.Advance(milliseconds(5));
  EXPECT_EQ(q.Len(), 6u);
}

TEST(WorkQueueTest, DoneOnAKeyNotInFlightIsIgnored) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.Add("a");
  q.Done("a");  // never handed out: must not be requeued twice
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, ShutDownDropsDelayedKeys) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("k", seconds(1));
  q.ShutDown();
  clock.Advance(seconds(1));
  EXPECT_EQ(q.NumWaiting(), 0u);
  EXPECT_EQ(q.Get(), std::nullopt);
  q.AddRateLimited("k");
  EXPECT_EQ(q.NumRequeues("k"), 0);
}

TEST(WorkQueueTest, RealClockDelayedKeyArrives) {
  WorkQueue q;
  q.AddAfter("k", milliseconds(1));
  EXPECT_EQ(q.Get(), "k");  // blocks on the real clock briefly
}

TEST(WorkQueueTest, ReportsMetrics) {
  FakeClock clock;
  CountingObserver metrics;
  WorkQueue q({.clock = &clock, .observer = &metrics});
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(metrics.adds, 2);
  EXPECT_EQ(metrics.last_depth, 2);
  clock.Advance(milliseconds(30));
  ASSERT_EQ(q.Get(), "a");
  EXPECT_EQ(metrics.last_depth, 1);
  ASSERT_EQ(metrics.latencies.size(), 1u);
  EXPECT_EQ(metrics.latencies[0], milliseconds(30));
  clock.Advance(milliseconds(7));
  q.Done("a");
  ASSERT_EQ(metrics.durations.size(), 1u);
  EXPECT_EQ(metrics.durations[0], milliseconds(7));
  q.AddRateLimited("c");
  EXPECT_EQ(metrics.retries, 1);
}

}  // namespace
}  // namespace fedcrm::kube
