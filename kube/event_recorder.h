// Records events.k8s.io/v1 Events about objects, the way client-go's
// events.EventRecorder does, so `kubectl describe` and `kubectl events` show
// what a controller did and why.
//
// Repeats are folded into a series instead of flooding the API: the same
// (object uid, reason, note) again within six minutes of its last sighting
// patches series.count and series.lastObservedTime of the existing Event
// (count 2 on the first repeat, as client-go). Recording is best effort and
// never throws: failures (API errors, an unusable object or type) are counted
// and reported to an optional error sink, e.g. the operator's logger.
//
// Thread-safe. Calls are synchronous and serialised, so that concurrent
// repeats fold into one series rather than racing to create two Events.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>

#include "kube/client.h"

namespace fedcrm::kube {

class EventRecorder {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  using ErrorSink = std::function<void(const std::string& message)>;

  static constexpr std::size_t kMaxNoteBytes = 1024;
  static constexpr std::chrono::minutes kSeriesWindow{6};

  // `reporting_controller` names the controller ("fedcrm.io/operator"),
  // `reporting_instance` the replica (the pod name). `now` defaults to the
  // system clock. Throws ConfigError when either name is empty.
  EventRecorder(Client& client, std::string reporting_controller, std::string reporting_instance,
                WallClock now = nullptr);
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Records an Event regarding `involved_object` (a full object with
  // apiVersion, kind and metadata) in its namespace, or in "default" for a
  // cluster-scoped object. `type` is "Normal" or "Warning"; `reason` is
  // CamelCase ("BudgetExhausted"), `action` what was done ("Admit"); `note`
  // is truncated to 1 KiB. Never throws.
  void Record(const nlohmann::json& involved_object, std::string_view type, std::string_view reason,
              std::string_view action, std::string_view note);

  // Called with a description of each failure (outside no lock of ours).
  void SetErrorSink(ErrorSink sink);
  // Failures so far, and the latest one's description.
  std::int64_t ErrorCount() const;
  std::string LastError() const;

 private:
  using SeriesKey = std::tuple<std::string, std::string, std::string>;  // uid, reason, note
  struct Series {
    std::string namespace_;
    std::string name;  // of the Event
    std::int64_t count = 1;
    std::chrono::system_clock::time_point last_seen;
  };

  // Writes the Event or bumps its series; throws on failure.
  void RecordLocked(const nlohmann::json& involved_object, std::string_view type,
                    std::string_view reason, std::string_view action, const std::string& note);
  std::string NewEventName(const std::string& object_name,
                           std::chrono::system_clock::time_point now);
  void Fail(const std::string& message);

  Client& client_;
  const std::string reporting_controller_;
  const std::string reporting_instance_;
  const WallClock now_;

  mutable std::mutex mu_;
  std::map<SeriesKey, Series> series_;
  std::int64_t last_name_nanos_ = 0;
  std::int64_t errors_ = 0;
  std::string last_error_;
  ErrorSink sink_;
};

}  // namespace fedcrm::kube
