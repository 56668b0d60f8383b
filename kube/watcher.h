// Keeps a consumer in step with one resource type, like client-go's
// Reflector: list everything, hand over the full list, then watch from the
// list's resourceVersion; re-watch from the last version seen when a stream
// ends, relist when the version is Gone, and back off on errors.
//
//   Watcher watcher(client, resources::kJobs, "region-a", {}, callbacks);
//   std::jthread t([&](std::stop_token stop) { watcher.Run(stop); });
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/backoff.h"
#include "kube/client.h"
#include "kube/clock.h"

namespace fedcrm::kube {

struct WatcherOptions {
  std::string label_selector;  // API string form
  int64_t page_size = 500;     // list page size; 0: one page
  // Server-side end of each watch stream; it is then resumed from the last
  // version seen, which keeps connections fresh through proxies.
  int watch_timeout_seconds = 300;
  // Between retries after errors (and after streams that ended empty).
  BackoffOptions backoff;
  Clock* clock = nullptr;  // null: the real clock; used for backoff waits
  // Applied to each listed item as its page arrives, before on_replace; an
  // informer's transform, so that a large list is never held whole.
  std::function<void(Json& item)> transform_listed;
};

struct WatcherCallbacks {
  // The complete current state after every (re)list, with its version.
  std::function<void(std::vector<Json> items, const std::string& resource_version)> on_replace;
  // ADDED, MODIFIED or DELETED, in order. Bookmarks only move the version.
  std::function<void(const WatchEvent& event)> on_event;
  // An error the watcher is recovering from (for logs); may be empty.
  std::function<void(const std::exception& error)> on_error;
};

class Watcher {
 public:
  Watcher(Client& client, GroupVersionResource gvr, std::string namespace_, WatcherOptions options,
          WatcherCallbacks callbacks);

  // Lists and watches until `stop` is requested; returns promptly then.
  // Never throws for API or transport errors: it retries with backoff.
  // Exceptions from the callbacks propagate.
  void Run(const std::stop_token& stop);

  // The last resourceVersion seen (list, event or bookmark).
  std::string resource_version() const;

 private:
  enum class StreamEnd { kEnded, kGone, kFailed };

  void Relist();
  StreamEnd WatchOnce(std::stop_token stop, bool& saw_event);
  // Waits out the backoff; false when stopped meanwhile.
  bool Sleep(const std::stop_token& stop, Clock::Duration delay);
  void ReportError(const std::exception& error);
  void SetResourceVersion(std::string version);

  Client& client_;
  GroupVersionResource gvr_;
  std::string namespace_;
  WatcherOptions options_;
  WatcherCallbacks callbacks_;
  Clock* clock_;
  Backoff backoff_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::string resource_version_;
};

}  // namespace fedcrm::kube
