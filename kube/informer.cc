#include "kube/informer.h"

#include <exception>
#include <utility>

namespace fedcrm::kube {
namespace {

std::string Field(const Json& object, const char* field) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  auto value = metadata->find(field);
  return value != metadata->end() && value->is_string() ? value->get<std::string>() : std::string();
}

}  // namespace

ObjectKey KeyOf(const Json& object) {
  return ObjectKey{Field(object, "namespace"), Field(object, "name")};
}

Store::Text Store::Pack(const Json& object) {
  const std::string text = object.dump();
  return Text(text, &pool_);
}

Json Store::Unpack(const Text& text) { return Json::parse(text); }

std::optional<Json> Store::Get(const ObjectKey& key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return Unpack(it->second);
}

std::vector<Json> Store::List() const {
  std::lock_guard lock(mu_);
  std::vector<Json> objects;
  objects.reserve(objects_.size());
  for (const auto& [key, text] : objects_) objects.push_back(Unpack(text));
  return objects;
}

std::vector<ObjectKey> Store::Keys() const {
  std::lock_guard lock(mu_);
  std::vector<ObjectKey> keys;
  keys.reserve(objects_.size());
  for (const auto& [key, text] : objects_) keys.push_back(key);
  return keys;
}

size_t Store::size() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

std::optional<Json> Store::Upsert(const Json& object) {
  std::lock_guard lock(mu_);
  ObjectKey key = KeyOf(object);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    objects_.emplace(std::move(key), Pack(object));
    return std::nullopt;
  }
  std::optional<Json> previous = Unpack(it->second);
  it->second = Pack(object);
  return previous;
}

std::optional<Json> Store::Remove(const ObjectKey& key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  std::optional<Json> previous = Unpack(it->second);
  objects_.erase(it);
  return previous;
}

std::map<ObjectKey, Json> Store::Replace(const std::map<ObjectKey, Json>& objects) {
  std::lock_guard lock(mu_);
  std::map<ObjectKey, Json> previous;
  for (const auto& [key, text] : objects_) previous.emplace(key, Unpack(text));
  objects_.clear();
  for (const auto& [key, object] : objects) objects_.emplace(key, Pack(object));
  return previous;
}

Informer::Informer(Client& client, GroupVersionResource gvr, std::string namespace_,
                   InformerOptions options)
    : options_(std::move(options)),
      clock_(options_.watch.clock != nullptr ? options_.watch.clock : &Clock::Real()),
      watcher_(client, std::move(gvr), std::move(namespace_), ListedThroughTransform(),
               WatcherCallbacks{
                   .on_replace = [this](std::vector<Json> items,
                                        const std::string&) { OnReplace(std::move(items)); },
                   .on_event = [this](const WatchEvent& event) { OnEvent(event); },
                   .on_error = nullptr}) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandlers(InformerHandlers handlers) {
  std::lock_guard lock(dispatch_mu_);
  handlers_.push_back(std::move(handlers));
}

void Informer::Start(const std::stop_token& stop) {
  if (watch_thread_.joinable()) return;
  if (stop.stop_possible()) {
    external_stop_ = std::make_unique<std::stop_callback<std::function<void()>>>(
        stop, std::function<void()>([this] { stop_source_.request_stop(); }));
  }
  std::stop_token token = stop_source_.get_token();
  watch_thread_ = std::jthread([this, token] { watcher_.Run(token); });
  if (options_.resync_period > Clock::Duration::zero()) {
    resync_thread_ = std::jthread([this, token] { ResyncLoop(token); });
  }
}

void Informer::Stop() {
  stop_source_.request_stop();
  {
    // Wakes WaitForSync and the resync wait.
    std::lock_guard lock(sync_mu_);
    sync_cv_.notify_all();
  }
  if (watch_thread_.joinable()) watch_thread_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
  external_stop_.reset();
}

bool Informer::HasSynced() const {
  std::lock_guard lock(sync_mu_);
  return synced_;
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(sync_mu_);
  std::stop_token stop = stop_source_.get_token();
  sync_cv_.wait_for(lock, timeout, [&] { return synced_ || stop.stop_requested(); });
  return synced_;
}

template <typename Call>
void Informer::Dispatch(const Call& call) {
  for (const InformerHandlers& handlers : handlers_) {
    try {
      call(handlers);
    } catch (const std::exception&) {
      // Handlers enqueue keys; one that fails loses only its own event, and
      // the next resync or relist delivers the object again.
    }
  }
}

void Informer::Transform(Json& object) const {
  if (options_.strip_managed_fields && object.contains("metadata") &&
      object["metadata"].is_object()) {
    object["metadata"].erase("managedFields");
  }
  if (options_.transform) options_.transform(object);
}

WatcherOptions Informer::ListedThroughTransform() const {
  WatcherOptions watch = options_.watch;
  watch.transform_listed = [this](Json& item) { Transform(item); };
  return watch;
}

// The items arrive transformed (ListedThroughTransform).
void Informer::OnReplace(std::vector<Json> items) {
  std::lock_guard lock(dispatch_mu_);
  std::map<ObjectKey, Json> fresh;
  for (Json& item : items) {
    ObjectKey key = KeyOf(item);
    fresh.insert_or_assign(std::move(key), std::move(item));
  }
  std::map<ObjectKey, Json> old = store_.Replace(fresh);
  // Named references, not structured bindings: lambdas may not capture
  // those before C++20 compilers catch up (clang 14).
  for (const auto& entry : fresh) {
    const Json& object = entry.second;
    auto previous = old.find(entry.first);
    if (previous == old.end()) {
      Dispatch([&](const InformerHandlers& h) {
        if (h.on_add) h.on_add(object);
      });
    } else if (Field(previous->second, "resourceVersion") != Field(object, "resourceVersion")) {
      Dispatch([&](const InformerHandlers& h) {
        if (h.on_update) h.on_update(previous->second, object);
      });
    }
  }
  // Deleted while the watch was down: the relist is the only witness.
  for (const auto& entry : old) {
    const Json& object = entry.second;
    if (fresh.contains(entry.first)) continue;
    Dispatch([&](const InformerHandlers& h) {
      if (h.on_delete) h.on_delete(object);
    });
  }
  std::lock_guard sync(sync_mu_);
  synced_ = true;
  sync_cv_.notify_all();
}

void Informer::OnEvent(const WatchEvent& incoming) {
  std::lock_guard lock(dispatch_mu_);
  WatchEvent event = incoming;
  Transform(event.object);
  const Json& object = event.object;
  if (event.type == WatchEvent::Type::kDeleted) {
    store_.Remove(KeyOf(object));
    Dispatch([&](const InformerHandlers& h) {
      if (h.on_delete) h.on_delete(object);
    });
    return;
  }
  std::optional<Json> previous = store_.Upsert(object);
  Dispatch([&](const InformerHandlers& h) {
    if (previous) {
      if (h.on_update) h.on_update(*previous, object);
    } else if (h.on_add) {
      h.on_add(object);
    }
  });
}

void Informer::ResyncLoop(const std::stop_token& stop) {
  while (true) {
    {
      std::unique_lock lock(sync_mu_);
      Clock::TimePoint deadline = clock_->Now() + options_.resync_period;
      while (!stop.stop_requested() && clock_->Now() < deadline) {
        clock_->WaitUntil(sync_cv_, lock, deadline);
      }
      if (stop.stop_requested()) return;
      if (!synced_) continue;
    }
    std::lock_guard lock(dispatch_mu_);
    for (const Json& object : store_.List()) {
      Dispatch([&](const InformerHandlers& h) {
        if (h.on_update) h.on_update(object, object);
      });
    }
  }
}

}  // namespace fedcrm::kube
