// An in-memory API server behind the Client interface, for controller unit
// tests (the role of controller-runtime's fake client and client-go's fake
// clientset). It keeps the semantics controllers depend on:
//
//   - metadata: uid, creationTimestamp, one global resourceVersion counter,
//     generation starting at 1 and bumped when anything outside .metadata and
//     .status changes. Server-owned fields in a request are ignored.
//   - Create of an existing name: 409 AlreadyExists; a missing object: 404;
//     Update/Patch with a stale metadata.resourceVersion: 409 Conflict; an
//     Update that changes nothing is a no-op (no new version, no event).
//   - Resources registered with a status subresource (the built-in ones that
//     have one are pre-registered) ignore .status on Create, Update and plain
//     Patch; UpdateStatus and status patches change only .status. Status calls
//     on other resources answer 404, as the API server does.
//   - Update without metadata.resourceVersion is unconditional (as for the
//     built-in types; a real server refuses it for custom resources).
//   - Delete with finalizers sets deletionTimestamp once (bumping generation,
//     as the API server's markAsDeleting does) and keeps the object;
//     removing the last finalizer then deletes it. New finalizers can't be
//     added to an object being deleted (422).
//   - List: label selectors in the API string form (=, ==, !=, in, notin,
//     exists, !exists), field selectors on metadata.name/metadata.namespace,
//     limit/continue paging in namespace/name order.
//   - Watch: with a resourceVersion, replays the event log after it (410 Gone
//     when it's older than CompactWatchHistory() kept); with "" or "0", sends
//     ADDED for every current object first. Then blocks for new events.
//     No bookmarks are sent and timeout_seconds is ignored; list pages are
//     cut from the live state, not from a snapshot at the first page.
//
// Approximation: server-side apply (PatchType::kApply) is a JSON merge patch
// that creates the object when missing; field ownership is not tracked, so
// `force` has no effect and fields are not removed when a manager drops them.
//
// Every method is thread-safe. Watch callbacks run without the lock held, so
// they may call back into the client.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api_error.h"
#include "kube/client.h"

namespace fedcrm::kube {

class FakeClient : public Client {
 public:
  enum class Verb { kGet, kList, kWatch, kCreate, kUpdate, kPatch, kDelete };

  // One recorded call, as client-go's fake Action: UpdateStatus is kUpdate
  // with subresource "status". `key` is empty for List and Watch except for
  // the namespace.
  struct Action {
    Verb verb = Verb::kGet;
    GroupVersionResource gvr;
    ObjectKey key;
    std::string subresource;
  };

  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  FakeClient();
  ~FakeClient() override;
  FakeClient(const FakeClient&) = delete;
  FakeClient& operator=(const FakeClient&) = delete;

  Json Get(const GroupVersionResource& gvr, const ObjectKey& key) override;
  ListResult List(const GroupVersionResource& gvr, std::string_view namespace_,
                  const ListOptions& options = {}) override;
  Json Create(const GroupVersionResource& gvr, const Json& object) override;
  Json Update(const GroupVersionResource& gvr, const Json& object) override;
  Json UpdateStatus(const GroupVersionResource& gvr, const Json& object) override;
  Json Patch(const GroupVersionResource& gvr, const ObjectKey& key, PatchType type,
             const Json& patch, const PatchOptions& options = {},
             std::string_view subresource = {}) override;
  void Delete(const GroupVersionResource& gvr, const ObjectKey& key,
              const DeleteOptions& options = {}) override;
  void Watch(const GroupVersionResource& gvr, std::string_view namespace_,
             const WatchOptions& options,
             const std::function<bool(const WatchEvent&)>& on_event) override;

  // --- Test hooks ---

  // Declares that `gvr` has a status subresource (a CRD with
  // subresources.status). Objects already stored keep their status.
  void RegisterStatusSubresource(const GroupVersionResource& gvr);

  // The next `count` calls of `verb` on `gvr` throw `error` instead of
  // running (they are still recorded in Actions()). An empty gvr.resource
  // matches every resource; `subresource` "*" matches with or without one,
  // "" only calls without, "status" only status calls. Rules are consulted
  // in the order they were added.
  void InjectError(Verb verb, const GroupVersionResource& gvr, ApiError error, int count = 1,
                   std::string_view subresource = "*");

  // Stores `object` as given, status included, without recording an action or
  // consulting injected errors: seeding state like controller-runtime's
  // WithObjects. Fills uid, creationTimestamp, resourceVersion and generation
  // when absent. Replaces an existing object of the same key.
  Json AddObject(const GroupVersionResource& gvr, const Json& object);

  std::vector<Action> Actions() const;
  void ClearActions();

  // The wall clock for creationTimestamp and deletionTimestamp.
  void SetNow(WallClock now);

  // A Watch returns after delivering this many events, as if the server had
  // ended the stream; 0 (the default) means no limit.
  void SetWatchEventLimit(int max_events);
  // Ends every Watch blocked now, as a server closing its streams does.
  void CloseWatches();
  // Forgets the event log: watches from an older resourceVersion get 410.
  void CompactWatchHistory();
  // Watches currently blocked waiting for events; lets tests synchronise.
  int NumWatchers() const;
  // The current global resourceVersion.
  std::string ResourceVersion() const;

 private:
  struct Stored {
    std::map<ObjectKey, Json> objects;
  };
  struct LoggedEvent {
    std::int64_t version;
    std::string store_key;
    std::string namespace_;
    WatchEvent event;
  };
  struct ErrorRule {
    Verb verb;
    GroupVersionResource gvr;
    std::string subresource;
    ApiError error;
    int remaining;
  };

  // Records the call and throws an injected error if one matches. Takes mu_.
  void Begin(Verb verb, const GroupVersionResource& gvr, ObjectKey key,
             std::string_view subresource);

  bool HasStatus(const GroupVersionResource& gvr) const;
  // Fills uid, creationTimestamp and generation when absent; sets a new version.
  void NewMetadata(Json& object);
  Json CreateLocked(const GroupVersionResource& gvr, Json object, bool keep_status);
  // The shared tail of Update, UpdateStatus and Patch: checks the
  // resourceVersion precondition, keeps what the caller may not change,
  // bumps generation and version, handles finalizer removal on deletion.
  Json CommitLocked(const GroupVersionResource& gvr, const ObjectKey& key, Json candidate,
                    bool status_only, const std::string& operation);
  void AppendEvent(const GroupVersionResource& gvr, WatchEvent::Type type, const Json& object);
  std::string NextVersion();
  std::string Timestamp() const;

  mutable std::mutex mu_;
  std::condition_variable events_cv_;
  std::map<std::string, Stored> stores_;  // by group/resource
  mutable std::mutex status_mu_;          // only guards status_resources_
  std::set<std::string> status_resources_;
  std::vector<ErrorRule> error_rules_;
  std::vector<Action> actions_;
  std::vector<LoggedEvent> events_;
  std::int64_t version_ = 0;
  std::int64_t compacted_version_ = 0;  // events at or below it are gone
  std::int64_t next_uid_ = 1;
  std::uint32_t uid_prefix_ = 0;
  int watch_event_limit_ = 0;
  int num_watchers_ = 0;
  std::int64_t close_epoch_ = 0;
  bool shutting_down_ = false;
  WallClock now_;
};

// "get", "list", "watch", "create", "update", "patch", "delete".
const char* VerbName(FakeClient::Verb verb);

}  // namespace fedcrm::kube
