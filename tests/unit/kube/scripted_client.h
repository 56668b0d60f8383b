// A Client whose List answers and Watch streams a test scripts in advance,
// for the Watcher and Informer unit tests. A Watch call beyond the script
// blocks until its stop is requested, like a quiet stream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "kube/api_error.h"
#include "kube/client.h"

namespace fedcrm::kube::testing {

inline Json Object(const std::string& name, const std::string& version,
                   const std::string& value = "v") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"namespace", "ns"}, {"name", name}, {"resourceVersion", version}}},
          {"data", {{"value", value}}}};
}

inline WatchEvent Event(WatchEvent::Type type, Json object) { return {type, std::move(object)}; }

inline WatchEvent Bookmark(const std::string& version) {
  return {WatchEvent::Type::kBookmark, {{"metadata", {{"resourceVersion", version}}}}};
}

inline std::exception_ptr Gone() {
  return std::make_exception_ptr(ApiError(410, "Expired", "too old resource version", "watch"));
}

inline std::exception_ptr Unreachable() {
  return std::make_exception_ptr(TransportError("watch: API server https://x: refused"));
}

// Polls until `done` holds; the deadline only bounds a broken test.
template <typename Predicate>
bool Eventually(Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class ScriptedClient : public Client {
 public:
  using Step = std::variant<WatchEvent, std::exception_ptr>;
  using Stream = std::vector<Step>;
  using ListAnswer = std::variant<ListResult, std::exception_ptr>;

  void AddList(ListAnswer answer) {
    std::lock_guard lock(mu_);
    lists_.push_back(std::move(answer));
  }
  void AddStream(Stream stream) {
    std::lock_guard lock(mu_);
    streams_.push_back(std::move(stream));
  }
  int list_calls() const {
    std::lock_guard lock(mu_);
    return list_calls_;
  }
  // The resourceVersion each Watch call started from.
  std::vector<std::string> watch_versions() const {
    std::lock_guard lock(mu_);
    return watch_versions_;
  }
  // True when a Watch call is blocked past the end of the script.
  bool idle() const {
    std::lock_guard lock(mu_);
    return idle_;
  }

  ListResult List(const GroupVersionResource&, std::string_view, const ListOptions&) override {
    std::lock_guard lock(mu_);
    ++list_calls_;
    if (lists_.empty()) throw TransportError("list: script exhausted");
    ListAnswer answer = lists_.front();
    if (lists_.size() > 1) lists_.pop_front();  // the last answer repeats
    if (auto* error = std::get_if<std::exception_ptr>(&answer)) std::rethrow_exception(*error);
    return std::get<ListResult>(answer);
  }

  void Watch(const GroupVersionResource&, std::string_view, const WatchOptions& options,
             const std::function<bool(const WatchEvent&)>& on_event) override {
    Stream stream;
    {
      std::unique_lock lock(mu_);
      watch_versions_.push_back(options.resource_version);
      if (streams_.empty()) {
        idle_ = true;
        lock.unlock();  // the callback runs at once if already stopped
        std::stop_callback wake(options.stop, [this] {
          std::lock_guard inner(mu_);
          cv_.notify_all();
        });
        lock.lock();
        cv_.wait(lock, [&] { return options.stop.stop_requested(); });
        idle_ = false;
        return;
      }
      stream = std::move(streams_.front());
      streams_.pop_front();
    }
    for (const Step& step : stream) {
      if (auto* error = std::get_if<std::exception_ptr>(&step)) std::rethrow_exception(*error);
      if (!on_event(std::get<WatchEvent>(step))) return;
    }
  }

  Json Get(const GroupVersionResource&, const ObjectKey&) override { return Unused(); }
  Json Create(const GroupVersionResource&, const Json&) override { return Unused(); }
  Json Update(const GroupVersionResource&, const Json&) override { return Unused(); }
  Json UpdateStatus(const GroupVersionResource&, const Json&) override { return Unused(); }
  Json Patch(const GroupVersionResource&, const ObjectKey&, PatchType, const Json&,
             const PatchOptions&, std::string_view) override {
    return Unused();
  }
  void Delete(const GroupVersionResource&, const ObjectKey&, const DeleteOptions&) override {
    Unused();
  }

 private:
  static Json Unused() { throw std::logic_error("not scripted"); }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ListAnswer> lists_;
  std::deque<Stream> streams_;
  int list_calls_ = 0;
  std::vector<std::string> watch_versions_;
  bool idle_ = false;
};

}  // namespace fedcrm::kube::testing
