// A local, always-current copy of one resource type, fed by a Watcher, with
// add/update/delete handlers: client-go's shared informer, reduced to what
// controllers need. Handlers typically enqueue ObjectKeys into a WorkQueue;
// the reconciler then reads the cache (Get/List) instead of the API server.
//
//   Informer jobs(client, resources::kJobs, "region-a");
//   jobs.AddHandlers({.on_add = [&](const Json& j) { queue.Add(KeyOf(j).ToString()); }, ...});
//   jobs.Start();
//   jobs.WaitForSync(std::chrono::seconds(30));
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "kube/client.h"
#include "kube/watcher.h"

namespace fedcrm::kube {

// metadata.namespace / metadata.name of an object ("" parts when missing).
ObjectKey KeyOf(const Json& object);

// The cache: latest object per key. Thread-safe; readers get copies.
//
// Objects are kept as compact JSON text in a memory pool of their own and
// parsed when read. A parsed object is a tree of many small allocations;
// thousands of them, long-lived and interleaved with the transient garbage
// of list pages and reconciles, pin pages of the heap that could otherwise
// go back to the system. Text in a pool is a few times smaller and
// contiguous, and the cache is read far less often than it is written.
class Store {
 public:
  std::optional<Json> Get(const ObjectKey& key) const;
  std::vector<Json> List() const;
  std::vector<ObjectKey> Keys() const;
  size_t size() const;

  // Writers (the informer). Each returns what was there before.
  std::optional<Json> Upsert(const Json& object);
  std::optional<Json> Remove(const ObjectKey& key);
  std::map<ObjectKey, Json> Replace(const std::map<ObjectKey, Json>& objects);

 private:
  using Text = std::pmr::string;
  Text Pack(const Json& object);
  static Json Unpack(const Text& text);

  mutable std::mutex mu_;
  std::pmr::unsynchronized_pool_resource pool_;     // guarded by mu_
  std::pmr::map<ObjectKey, Text> objects_{&pool_};  // its nodes in the pool too
};

struct InformerHandlers {
  std::function<void(const Json& object)> on_add;
  // Also called by the periodic resync with old == new.
  std::function<void(const Json& old_object, const Json& new_object)> on_update;
  // The last state known: from the DELETED event, or the cached object when
  // a relist found it gone.
  std::function<void(const Json& object)> on_delete;
};

struct InformerOptions {
  WatcherOptions watch;  // label selector, page size, backoff, clock
  // Every period, each cached object is delivered again as an update, so
  // that level-triggered controllers recheck state they may have missed.
  // Zero: no resync.
  Clock::Duration resync_period = Clock::Duration::zero();
  // Drop metadata.managedFields before caching, as controller-runtime's
  // default cache transform does: server-side apply bookkeeping is often the
  // largest part of an object and no controller reads it from the cache.
  bool strip_managed_fields = true;
  // Applied to every object before it is cached and handed to handlers
  // (client-go's SetTransform): a controller that only needs to know which
  // object changed can keep its metadata and drop the rest, which is most of
  // an informer's memory. Null: objects are cached whole.
  std::function<void(Json& object)> transform;
};

class Informer {
 public:
  Informer(Client& client, GroupVersionResource gvr, std::string namespace_,
           InformerOptions options = {});
  // Stops and joins the threads.
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start. Handlers run on the informer's threads, one at a time.
  void AddHandlers(InformerHandlers handlers);
  // Starts the watch (and resync) threads and returns. They end on Stop(),
  // on destruction, or when `stop` is requested.
  void Start(const std::stop_token& stop = {});
  // Requests a stop and joins; idempotent.
  void Stop();

  // True once the first list has been delivered.
  bool HasSynced() const;
  // Waits (real time) for the first list; false on timeout or stop.
  bool WaitForSync(std::chrono::milliseconds timeout) const;

  std::optional<Json> Get(const ObjectKey& key) const { return store_.Get(key); }
  std::vector<Json> List() const { return store_.List(); }
  const Store& store() const { return store_; }

 private:
  void Transform(Json& object) const;
  // options_.watch, with Transform applied to listed items page by page.
  WatcherOptions ListedThroughTransform() const;
  void OnReplace(std::vector<Json> items);
  void OnEvent(const WatchEvent& event);
  void ResyncLoop(const std::stop_token& stop);
  // Calls `call` for every handler set, containing their exceptions: a
  // faulty handler must not kill the informer's thread.
  template <typename Call>
  void Dispatch(const Call& call);

  InformerOptions options_;
  Clock* clock_;
  Store store_;
  Watcher watcher_;
  std::vector<InformerHandlers> handlers_;
  std::mutex dispatch_mu_;  // store changes and handler calls, in order

  mutable std::mutex sync_mu_;
  mutable std::condition_variable sync_cv_;
  bool synced_ = false;

  std::stop_source stop_source_;
  std::unique_ptr<std::stop_callback<std::function<void()>>> external_stop_;
  std::jthread watch_thread_;
  std::jthread resync_thread_;
};

}  // namespace fedcrm::kube
