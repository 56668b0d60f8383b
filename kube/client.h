// The Kubernetes API as controllers use it: typed-by-path CRUD, patches, the
// status subresource and watches, over JSON objects. An interface, so that
// controllers run against a real API server (RestClient) or an in-memory one
// in unit tests (FakeClient), as with controller-runtime's client.Client.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "kube/resource_key.h"

namespace fedcrm::kube {

using Json = nlohmann::json;

struct ListOptions {
  std::string label_selector;  // API string form (FormatLabelSelector)
  std::string field_selector;  // e.g. "metadata.name=x"
  int64_t limit = 0;           // 0: everything in one page
  std::string continue_token;  // from the previous page
  std::string resource_version;
};

struct ListResult {
  std::vector<Json> items;
  std::string resource_version;  // of the list: where a watch starts
  std::string continue_token;    // "" on the last page
};

enum class PatchType {
  kMerge,      // application/merge-patch+json (RFC 7386)
  kJsonPatch,  // application/json-patch+json (RFC 6902)
  kApply,      // application/apply-patch+yaml: server-side apply
};

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // kApply: take ownership of conflicting fields
};

enum class PropagationPolicy { kDefault, kBackground, kForeground, kOrphan };

struct DeleteOptions {
  PropagationPolicy propagation = PropagationPolicy::kDefault;
  std::optional<std::string> precondition_uid;
};

struct WatchOptions {
  std::string resource_version;  // start after this version
  std::string label_selector;
  bool allow_bookmarks = true;
  // Server-side timeout: the stream ends cleanly after this many seconds.
  int timeout_seconds = 300;
  // Watch returns promptly (without error) once a stop is requested.
  std::stop_token stop;
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  Json object;  // the object; for kError a metav1.Status
};

class Client {
 public:
  virtual ~Client() = default;

  // Every call throws ApiError for a non-2xx answer and TransportError when
  // the server can't be reached. Objects are full JSON documents including
  // apiVersion and kind. Namespaced calls take the namespace from the key or
  // from metadata.namespace; cluster-scoped resources use an empty one.
  virtual Json Get(const GroupVersionResource& gvr, const ObjectKey& key) = 0;
  // One page; namespace "" lists across all namespaces.
  virtual ListResult List(const GroupVersionResource& gvr, std::string_view namespace_,
                          const ListOptions& options = {}) = 0;
  virtual Json Create(const GroupVersionResource& gvr, const Json& object) = 0;
  // PUT; metadata.resourceVersion, when set, makes it conditional (409).
  virtual Json Update(const GroupVersionResource& gvr, const Json& object) = 0;
  // PUT on the status subresource: only .status changes.
  virtual Json UpdateStatus(const GroupVersionResource& gvr, const Json& object) = 0;
  // PATCH; `subresource` "" or "status". kApply sends the patch as JSON
  // (valid YAML) with fieldManager and force as query parameters.
  virtual Json Patch(const GroupVersionResource& gvr, const ObjectKey& key, PatchType type,
                     const Json& patch, const PatchOptions& options = {},
                     std::string_view subresource = {}) = 0;
  virtual void Delete(const GroupVersionResource& gvr, const ObjectKey& key,
                      const DeleteOptions& options = {}) = 0;
  // Streams events after options.resource_version to `on_event` until it
  // returns false, the server ends the stream, or options.stop is requested;
  // then returns normally. A 410 (as the HTTP status or as an ERROR event
  // whose Status has code 410) throws ApiError with IsGone(); other ERROR
  // events are delivered to `on_event`.
  virtual void Watch(const GroupVersionResource& gvr, std::string_view namespace_,
                     const WatchOptions& options,
                     const std::function<bool(const WatchEvent&)>& on_event) = 0;
};

// Lists every page (following continue tokens) and returns all items with the
// resourceVersion of the first page. `each`, when given, is applied to every
// item as its page arrives, so a caller that keeps a little of each object
// (an informer's transform) never holds more than one page whole.
ListResult ListAll(Client& client, const GroupVersionResource& gvr, std::string_view namespace_,
                   ListOptions options = {}, const std::function<void(Json&)>& each = nullptr);

}  // namespace fedcrm::kube
