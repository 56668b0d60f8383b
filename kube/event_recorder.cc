#include "kube/event_recorder.h"

#include <cctype>
#include <cstdio>
#include <exception>
#include <utility>

#include "core/common/error.h"
#include "kube/api_error.h"
#include "kube/leader_election.h"  // FormatMicroTime
#include "kube/resources.h"

namespace fedcrm::kube {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxReasonBytes = 128;
constexpr std::size_t kMaxActionBytes = 128;
// Room for ".<16 hex digits>" after the object's name in a 253-byte name.
constexpr std::size_t kMaxNamePrefix = 253 - 17;

// Cuts at most `limit` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

bool IsCamelCase(std::string_view reason) {
  if (reason.empty() || reason.size() > kMaxReasonBytes) return false;
  if (!std::isupper(static_cast<unsigned char>(reason.front()))) return false;
  for (char c : reason) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Field(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

EventRecorder::EventRecorder(Client& client, std::string reporting_controller,
                             std::string reporting_instance, WallClock now)
    : client_(client),
      reporting_controller_(std::move(reporting_controller)),
      reporting_instance_(std::move(reporting_instance)),
      now_(now ? std::move(now) : WallClock([] { return std::chrono::system_clock::now(); })) {
  if (reporting_controller_.empty()) {
    throw ConfigError("event recorder reporting controller", "must not be empty");
  }
  if (reporting_instance_.empty()) {
    throw ConfigError("event recorder reporting instance", "must not be empty");
  }
}

void EventRecorder::SetErrorSink(ErrorSink sink) {
  std::lock_guard<std::mutex> guard(mu_);
  sink_ = std::move(sink);
}

std::int64_t EventRecorder::ErrorCount() const {
  std::lock_guard<std::mutex> guard(mu_);
  return errors_;
}

std::string EventRecorder::LastError() const {
  std::lock_guard<std::mutex> guard(mu_);
  return last_error_;
}

void EventRecorder::Fail(const std::string& message) {
  ErrorSink sink;
  {
    std::lock_guard<std::mutex> guard(mu_);
    ++errors_;
    last_error_ = message;
    sink = sink_;
  }
  if (sink) {
    try {
      sink(message);
    } catch (...) {  // a failing logger must not break the caller either
    }
  }
}

void EventRecorder::Record(const Json& involved_object, std::string_view type,
                           std::string_view reason, std::string_view action,
                           std::string_view note) {
  std::string failure;
  try {
    std::lock_guard<std::mutex> guard(mu_);
    RecordLocked(involved_object, type, reason, action, TruncateUtf8(note, kMaxNoteBytes));
  } catch (const std::exception& e) {
    failure = std::string("event ") + std::string(reason) + " not recorded: " + e.what();
  } catch (...) {
    failure = std::string("event ") + std::string(reason) + " not recorded";
  }
  if (!failure.empty()) Fail(failure);
}

std::string EventRecorder::NewEventName(const std::string& object_name,
                                        std::chrono::system_clock::time_point now) {
  // client-go names Events "<object>.<unix nanos in hex>"; keeping the
  // suffix strictly increasing makes names unique even with a frozen clock.
  std::int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  if (nanos <= last_name_nanos_) nanos = last_name_nanos_ + 1;
  last_name_nanos_ = nanos;
  char suffix[24];
  std::snprintf(suffix, sizeof(suffix), ".%llx", static_cast<unsigned long long>(nanos));
  std::string prefix = object_name.substr(0, kMaxNamePrefix);
  while (!prefix.empty() && (prefix.back() == '.' || prefix.back() == '-')) prefix.pop_back();
  return prefix + suffix;
}

void EventRecorder::RecordLocked(const Json& involved_object, std::string_view type,
                                 std::string_view reason, std::string_view action,
                                 const std::string& note) {
  if (type != "Normal" && type != "Warning") {
    throw ConfigError("event type", "expected Normal or Warning, got '" + std::string(type) + "'");
  }
  if (!IsCamelCase(reason)) {
    throw ConfigError("event reason", "expected CamelCase of at most 128 characters, got '" +
                                          std::string(reason) + "'");
  }
  if (action.empty() || action.size() > kMaxActionBytes) {
    throw ConfigError("event action", "expected 1 to 128 characters");
  }
  if (!involved_object.is_object() || !involved_object.contains("metadata") ||
      !involved_object["metadata"].is_object()) {
    throw ConfigError("event regarding", "expected an object with metadata");
  }
  const Json& meta = involved_object["metadata"];
  Json regarding = {{"apiVersion", Field(involved_object, "apiVersion")},
                    {"kind", Field(involved_object, "kind")},
                    {"name", Field(meta, "name")}};
  if (regarding["kind"].get<std::string>().empty() ||
      regarding["name"].get<std::string>().empty()) {
    throw ConfigError("event regarding", "the object needs kind and metadata.name");
  }
  const std::string object_namespace = Field(meta, "namespace");
  if (!object_namespace.empty()) regarding["namespace"] = object_namespace;
  const std::string uid = Field(meta, "uid");
  if (!uid.empty()) regarding["uid"] = uid;
  if (const std::string rv = Field(meta, "resourceVersion"); !rv.empty()) {
    regarding["resourceVersion"] = rv;
  }

  const auto now = now_();
  for (auto it = series_.begin(); it != series_.end();) {
    it = now - it->second.last_seen > kSeriesWindow ? series_.erase(it) : std::next(it);
  }
  // Without a uid (not yet created?) the object is identified by its path.
  const std::string identity = uid.empty()
                                   ? regarding["kind"].get<std::string>() + "/" + object_namespace +
                                         "/" + regarding["name"].get<std::string>()
                                   : uid;
  const SeriesKey key{identity, std::string(reason), note};
  if (auto found = series_.find(key); found != series_.end()) {
    Series& series = found->second;
    const Json patch = {
        {"series", {{"count", series.count + 1}, {"lastObservedTime", FormatMicroTime(now)}}}};
    try {
      client_.Patch(resources::kEvents, {series.namespace_, series.name}, PatchType::kMerge, patch);
      ++series.count;
      series.last_seen = now;
      return;
    } catch (const ApiError& e) {
      if (!e.IsNotFound()) throw;
      series_.erase(found);  // the Event expired (TTL): start afresh
    }
  }

  const std::string event_namespace = object_namespace.empty() ? "default" : object_namespace;
  Json event = {{"apiVersion", "events.k8s.io/v1"},
                {"kind", "Event"},
                {"metadata",
                 {{"name", NewEventName(regarding["name"].get<std::string>(), now)},
                  {"namespace", event_namespace}}},
                {"eventTime", FormatMicroTime(now)},
                {"reportingController", reporting_controller_},
                {"reportingInstance", reporting_instance_},
                {"type", std::string(type)},
                {"reason", std::string(reason)},
                {"action", std::string(action)},
                {"note", note},
                {"regarding", regarding}};
  Json created = client_.Create(resources::kEvents, event);
  series_[key] = Series{event_namespace, created["metadata"]["name"].get<std::string>(), 1, now};
}

}  // namespace fedcrm::kube
