#include "kube/watcher.h"

#include <condition_variable>
#include <utility>

#include "kube/api_error.h"

namespace fedcrm::kube {
namespace {

std::string VersionOf(const Json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  auto version = metadata->find("resourceVersion");
  return version != metadata->end() && version->is_string() ? version->get<std::string>()
                                                            : std::string();
}

}  // namespace

Watcher::Watcher(Client& client, GroupVersionResource gvr, std::string namespace_,
                 WatcherOptions options, WatcherCallbacks callbacks)
    : client_(client),
      gvr_(std::move(gvr)),
      namespace_(std::move(namespace_)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      clock_(options_.clock != nullptr ? options_.clock : &Clock::Real()),
      backoff_([this] {
        BackoffOptions backoff = options_.backoff;
        if (backoff.clock == nullptr) backoff.clock = clock_;
        return backoff;
      }()) {}

std::string Watcher::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

void Watcher::SetResourceVersion(std::string version) {
  if (version.empty()) return;
  std::lock_guard lock(mu_);
  resource_version_ = std::move(version);
}

void Watcher::ReportError(const std::exception& error) {
  if (callbacks_.on_error) callbacks_.on_error(error);
}

bool Watcher::Sleep(const std::stop_token& stop, Clock::Duration delay) {
  // Registered before taking the lock: it runs at once if already stopped.
  std::stop_callback wake(stop, [this] {
    std::lock_guard lock(mu_);
    wake_.notify_all();
  });
  std::unique_lock lock(mu_);
  Clock::TimePoint deadline = clock_->Now() + delay;
  while (!stop.stop_requested() && clock_->Now() < deadline) {
    clock_->WaitUntil(wake_, lock, deadline);
  }
  return !stop.stop_requested();
}

void Watcher::Relist() {
  ListOptions list;
  list.label_selector = options_.label_selector;
  list.limit = options_.page_size;
  ListResult result = ListAll(client_, gvr_, namespace_, list, options_.transform_listed);
  SetResourceVersion(result.resource_version);
  if (callbacks_.on_replace)
    callbacks_.on_replace(std::move(result.items), result.resource_version);
}

Watcher::StreamEnd Watcher::WatchOnce(std::stop_token stop, bool& saw_event) {
  WatchOptions watch;
  watch.resource_version = resource_version();
  watch.label_selector = options_.label_selector;
  watch.allow_bookmarks = true;
  watch.timeout_seconds = options_.watch_timeout_seconds;
  watch.stop = stop;
  bool failed = false;
  try {
    client_.Watch(gvr_, namespace_, watch, [&](const WatchEvent& event) {
      if (event.type == WatchEvent::Type::kError) {
        // Not a 410 (the client throws those): the stream is unusable; resume
        // after a backoff from the last good version.
        const Json& status = event.object;
        bool is_status = status.is_object();
        ReportError(ApiError(
            is_status ? status.value("code", 0) : 0, is_status ? status.value("reason", "") : "",
            is_status ? status.value("message", "") : status.dump(), "watch " + gvr_.resource));
        failed = true;
        return false;
      }
      saw_event = true;
      SetResourceVersion(VersionOf(event.object));
      if (event.type != WatchEvent::Type::kBookmark && callbacks_.on_event) {
        callbacks_.on_event(event);
      }
      return !stop.stop_requested();
    });
  } catch (const ApiError& e) {
    ReportError(e);
    return e.IsGone() ? StreamEnd::kGone : StreamEnd::kFailed;
  } catch (const TransportError& e) {
    ReportError(e);
    return StreamEnd::kFailed;
  }
  return failed ? StreamEnd::kFailed : StreamEnd::kEnded;
}

void Watcher::Run(const std::stop_token& stop) {
  bool need_list = true;
  while (!stop.stop_requested()) {
    if (need_list) {
      try {
        Relist();
        need_list = false;
      } catch (const ApiError& e) {
        ReportError(e);
      } catch (const TransportError& e) {
        ReportError(e);
      }
      if (need_list) {
        if (!Sleep(stop, backoff_.Next())) return;
        continue;
      }
    }
    bool saw_event = false;
    StreamEnd end = WatchOnce(stop, saw_event);
    if (stop.stop_requested()) return;
    switch (end) {
      case StreamEnd::kGone:
        need_list = true;
        // A version that is gone before anything arrived would loop
        // list/watch at full speed; slow down then.
        if (!saw_event && !Sleep(stop, backoff_.Next())) return;
        break;
      case StreamEnd::kFailed:
        if (!Sleep(stop, backoff_.Next())) return;
        break;
      case StreamEnd::kEnded:
        // A stream that ended without even a bookmark suggests a server
        // closing at once; don't hammer it.
        if (!saw_event && !Sleep(stop, backoff_.Next())) return;
        break;
    }
  }
}

}  // namespace fedcrm::kube
