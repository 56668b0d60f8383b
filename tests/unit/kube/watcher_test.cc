#include "kube/watcher.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/resources.h"
#include "tests/unit/kube/scripted_client.h"

namespace fedcrm::kube {
namespace {

using testing::Bookmark;
using testing::Event;
using testing::Eventually;
using testing::Gone;
using testing::Object;
using testing::ScriptedClient;
using testing::Unreachable;
using Type = WatchEvent::Type;

ListResult Listed(std::vector<Json> items, std::string version) {
  return ListResult{std::move(items), std::move(version), ""};
}

// Records what the watcher delivers.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> log;  // "replace@rv:n", "ADDED a@rv", ...
  int errors = 0;

  WatcherCallbacks Callbacks() {
    return WatcherCallbacks{
        .on_replace =
            [this](std::vector<Json> items, const std::string& version) {
              std::lock_guard lock(mu);
              log.push_back("replace@" + version + ":" + std::to_string(items.size()));
            },
        .on_event =
            [this](const WatchEvent& e) {
              static const char* kNames[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
              std::lock_guard lock(mu);
              log.push_back(std::string(kNames[static_cast<int>(e.type)]) + " " +
                            e.object["metadata"].value("name", "") + "@" +
                            e.object["metadata"].value("resourceVersion", ""));
            },
        .on_error =
            [this](const std::exception&) {
              std::lock_guard lock(mu);
              ++errors;
            }};
  }
  std::vector<std::string> Log() {
    std::lock_guard lock(mu);
    return log;
  }
};

WatcherOptions FastRetries() {
  WatcherOptions options;
  options.backoff.initial = std::chrono::milliseconds(1);
  options.backoff.cap = std::chrono::milliseconds(2);
  options.backoff.seed = 7;
  return options;
}

// Runs the watcher until the client sits idle on an unscripted watch.
void RunUntilIdle(Watcher& watcher, ScriptedClient& client) {
  std::jthread thread([&](std::stop_token stop) { watcher.Run(stop); });
  ASSERT_TRUE(Eventually([&] { return client.idle(); }));
  thread.request_stop();
}

TEST(WatcherTest, ListsThenWatchesFromTheListVersionAndFollowsBookmarks) {
  ScriptedClient client;
  client.AddList(Listed({Object("a", "5"), Object("b", "8")}, "10"));
  client.AddStream({Event(Type::kAdded, Object("c", "11")), Bookmark("15")});
  client.AddStream(
      {Event(Type::kModified, Object("c", "16")), Event(Type::kDeleted, Object("a", "17"))});
  Recorder recorder;
  Watcher watcher(client, resources::kConfigMaps, "ns", FastRetries(), recorder.Callbacks());
  RunUntilIdle(watcher, client);

  EXPECT_EQ(recorder.Log(), (std::vector<std::string>{"replace@10:2", "ADDED c@11", "MODIFIED c@16",
                                                      "DELETED a@17"}));
  // Each stream resumes where the last one ended; bookmarks move the version.
  EXPECT_EQ(client.watch_versions(), (std::vector<std::string>{"10", "15", "17"}));
  EXPECT_EQ(client.list_calls(), 1);
  EXPECT_EQ(watcher.resource_version(), "17");
}

TEST(WatcherTest, GoneMidStreamRelistsAndWatchesFromTheNewList) {
  ScriptedClient client;
  client.AddList(Listed({Object("a", "5")}, "10"));
  client.AddList(Listed({Object("a", "21"), Object("b", "22")}, "30"));
  client.AddStream({Event(Type::kAdded, Object("b", "11")), Gone()});
  Recorder recorder;
  Watcher watcher(client, resources::kConfigMaps, "ns", FastRetries(), recorder.Callbacks());
  RunUntilIdle(watcher, client);

  EXPECT_EQ(recorder.Log(),
            (std::vector<std::string>{"replace@10:1", "ADDED b@11", "replace@30:2"}));
  EXPECT_EQ(client.list_calls(), 2);
  EXPECT_EQ(client.watch_versions(), (std::vector<std::string>{"10", "30"}));
  EXPECT_EQ(recorder.errors, 1);
}

TEST(WatcherTest, GoneAtOnceRelistsAgain) {
  ScriptedClient client;
  client.AddList(Listed({}, "10"));
  client.AddList(Listed({}, "40"));
  client.AddStream({Gone()});
  Recorder recorder;
  Watcher watcher(client, resources::kConfigMaps, "", FastRetries(), recorder.Callbacks());
  RunUntilIdle(watcher, client);
  EXPECT_EQ(client.watch_versions(), (std::vector<std::string>{"10", "40"}));
}

TEST(WatcherTest, TransportErrorsBackOffAndResumeWithoutRelisting) {
  ScriptedClient client;
  client.AddList(Unreachable());
  client.AddList(Listed({Object("a", "5")}, "10"));
  client.AddStream({Event(Type::kAdded, Object("b", "12")), Unreachable()});
  client.AddStream({Unreachable()});
  client.AddStream({Event(Type::kModified, Object("b", "13"))});
  Recorder recorder;
  Watcher watcher(client, resources::kConfigMaps, "ns", FastRetries(), recorder.Callbacks());
  RunUntilIdle(watcher, client);

  EXPECT_EQ(client.list_calls(), 2);  // the failed one and the good one
  EXPECT_EQ(client.watch_versions(), (std::vector<std::string>{"10", "12", "12", "13"}));
  EXPECT_EQ(recorder.errors, 3);
  EXPECT_EQ(recorder.Log(),
            (std::vector<std::string>{"replace@10:1", "ADDED b@12", "MODIFIED b@13"}));
}

TEST(WatcherTest, ErrorEventsOtherThanGoneRewatchFromTheLastVersion) {
  ScriptedClient client;
  client.AddList(Listed({}, "10"));
  Json status = {
      {"kind", "Status"}, {"code", 500}, {"reason", "InternalError"}, {"message", "etcd hiccup"}};
  client.AddStream({Event(Type::kAdded, Object("a", "11")), Event(Type::kError, status),
                    Event(Type::kAdded, Object("never", "12"))});
  Recorder recorder;
  Watcher watcher(client, resources::kConfigMaps, "ns", FastRetries(), recorder.Callbacks());
  RunUntilIdle(watcher, client);

  EXPECT_EQ(recorder.Log(), (std::vector<std::string>{"replace@10:0", "ADDED a@11"}));
  EXPECT_EQ(client.watch_versions(), (std::vector<std::string>{"10", "11"}));
  EXPECT_EQ(client.list_calls(), 1);
  EXPECT_EQ(recorder.errors, 1);
}

TEST(WatcherTest, EmptyStreamsDoNotSpin) {
  ScriptedClient client;
  client.AddList(Listed({}, "10"));
  for (int i = 0; i < 3; ++i) client.AddStream({});
  FakeClock clock;
  WatcherOptions options = FastRetries();
  options.clock = &clock;
  Recorder recorder;
  Watcher watcher(client, resources::kConfigMaps, "ns", options, recorder.Callbacks());
  std::jthread thread([&](std::stop_token stop) { watcher.Run(stop); });

  // After an empty stream the watcher waits on the clock instead of
  // reconnecting at once.
  ASSERT_TRUE(Eventually([&] { return clock.NumWaiters() == 1; }));
  EXPECT_EQ(client.watch_versions().size(), 1u);
  while (!client.idle()) {
    if (clock.NumWaiters() > 0) clock.Advance(std::chrono::seconds(1));
    std::this_thread::yield();
  }
  EXPECT_EQ(client.watch_versions().size(), 4u);
}

TEST(WatcherTest, StopInterruptsABackoffWait) {
  ScriptedClient client;
  client.AddList(Unreachable());
  FakeClock clock;  // never advanced: only the stop can end the wait
  WatcherOptions options;
  options.clock = &clock;
  Recorder recorder;
  Watcher watcher(client, resources::kConfigMaps, "ns", options, recorder.Callbacks());
  std::jthread thread([&](std::stop_token stop) { watcher.Run(stop); });
  ASSERT_TRUE(Eventually([&] { return clock.NumWaiters() == 1; }));
  thread.request_stop();
  thread.join();
  EXPECT_EQ(client.list_calls(), 1);
}

}  // namespace
}  // namespace fedcrm::kube
