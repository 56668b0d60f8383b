// Informer (and so Watcher) against a real kube-apiserver: the cache
// converges to the server's state after creates, updates and deletes, and
// after a relist forced by a 410 that swallowed an event.
#include "kube/informer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/api_error.h"
#include "kube/resources.h"
#include "kube/rest_client.h"

namespace fedcrm::kube {
namespace {

// Forwards to a RestClient; once armed, the next watch event is replaced by
// a 410 Gone, as when the server's watch window has moved past the client.
class GoneInjectingClient : public Client {
 public:
  explicit GoneInjectingClient(Client& inner) : inner_(inner) {}
  void Arm() { armed_ = true; }
  bool armed() const { return armed_; }

  Json Get(const GroupVersionResource& gvr, const ObjectKey& key) override {
    return inner_.Get(gvr, key);
  }
  ListResult List(const GroupVersionResource& gvr, std::string_view ns,
                  const ListOptions& options) override {
    lists_++;
    return inner_.List(gvr, ns, options);
  }
  Json Create(const GroupVersionResource& gvr, const Json& object) override {
    return inner_.Create(gvr, object);
  }
  Json Update(const GroupVersionResource& gvr, const Json& object) override {
    return inner_.Update(gvr, object);
  }
  Json UpdateStatus(const GroupVersionResource& gvr, const Json& object) override {
    return inner_.UpdateStatus(gvr, object);
  }
  Json Patch(const GroupVersionResource& gvr, const ObjectKey& key, PatchType type,
             const Json& patch, const PatchOptions& options,
             std::string_view subresource) override {
    return inner_.Patch(gvr, key, type, patch, options, subresource);
  }
  void Delete(const GroupVersionResource& gvr, const ObjectKey& key,
              const DeleteOptions& options) override {
    inner_.Delete(gvr, key, options);
  }
  void Watch(const GroupVersionResource& gvr, std::string_view ns, const WatchOptions& options,
             const std::function<bool(const WatchEvent&)>& on_event) override {
    inner_.Watch(gvr, ns, options, [&](const WatchEvent& event) {
      if (event.type != WatchEvent::Type::kBookmark && armed_.exchange(false)) {
        throw ApiError(410, "Expired", "injected: too old resource version", "watch");
      }
      return on_event(event);
    });
  }
  int lists() const { return lists_; }

 private:
  Client& inner_;
  std::atomic<bool> armed_ = false;
  std::atomic<int> lists_ = 0;
};

Json ConfigMap(const std::string& ns, const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{"value", value}}}};
}

// name -> resourceVersion
using State = std::map<std::string, std::string>;

State StateOf(const std::vector<Json>& objects) {
  State state;
  for (const Json& o : objects) state[o["metadata"]["name"]] = o["metadata"]["resourceVersion"];
  return state;
}

template <typename Predicate>
bool Eventually(Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class InformerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* kubeconfig = std::getenv("FEDCRM_KUBE_HUB_KUBECONFIG");
    if (kubeconfig == nullptr) GTEST_SKIP() << "FEDCRM_KUBE_HUB_KUBECONFIG is not set";
    client_ = std::make_unique<RestClient>(LoadKubeconfig(kubeconfig));
    ns_ = "kuberest-informer-" + std::to_string(getpid());
    client_->Create(resources::kNamespaces,
                    {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}});
  }
  void TearDown() override {
    if (client_ == nullptr) return;
    try {
      client_->Delete(resources::kNamespaces, {"", ns_});
    } catch (const std::exception&) {
      // Thrown away with the clusters.
    }
  }

  State ServerState() { return StateOf(ListAll(*client_, resources::kConfigMaps, ns_).items); }

  std::unique_ptr<RestClient> client_;
  std::string ns_;
};

TEST_F(InformerIntegrationTest, ConvergesToTheServerThroughEventsAndARelist) {
  client_->Create(resources::kConfigMaps, ConfigMap(ns_, "before-1", "a"));
  client_->Create(resources::kConfigMaps, ConfigMap(ns_, "before-2", "a"));

  GoneInjectingClient client(*client_);
  InformerOptions options;
  options.watch.page_size = 1;  // the first list follows continue tokens
  options.watch.backoff.initial = std::chrono::milliseconds(10);
  options.watch.backoff.cap = std::chrono::milliseconds(100);
  Informer informer(client, resources::kConfigMaps, ns_, options);
  std::mutex mu;
  std::map<std::string, int> adds, updates, deletes;
  informer.AddHandlers({.on_add =
                            [&](const Json& o) {
                              std::lock_guard l(mu);
                              ++adds[o["metadata"]["name"]];
                            },
                        .on_update =
                            [&](const Json&, const Json& o) {
                              std::lock_guard l(mu);
                              ++updates[o["metadata"]["name"]];
                            },
                        .on_delete =
                            [&](const Json& o) {
                              std::lock_guard l(mu);
                              ++deletes[o["metadata"]["name"]];
                            }});
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(std::chrono::seconds(60)));
  EXPECT_EQ(StateOf(informer.List()), ServerState());

  client_->Create(resources::kConfigMaps, ConfigMap(ns_, "during", "a"));
  client_->Patch(resources::kConfigMaps, {ns_, "before-1"}, PatchType::kMerge,
                 {{"data", {{"value", "b"}}}});
  client_->Delete(resources::kConfigMaps, {ns_, "before-2"});
  ASSERT_TRUE(Eventually([&] { return StateOf(informer.List()) == ServerState(); }))
      << "informer never converged after events";
  {
    std::lock_guard l(mu);
    EXPECT_EQ(adds["during"], 1);
    EXPECT_GE(updates["before-1"], 1);
    EXPECT_EQ(deletes["before-2"], 1);
  }

  // The next event is lost to a 410: only the relist can show the delete.
  int lists_before = client.lists();
  client.Arm();
  client_->Delete(resources::kConfigMaps, {ns_, "during"});
  client_->Create(resources::kConfigMaps, ConfigMap(ns_, "after", "a"));
  ASSERT_TRUE(Eventually([&] {
    return !client.armed() && StateOf(informer.List()) == ServerState();
  })) << "informer never converged after the relist";
  EXPECT_GT(client.lists(), lists_before);
  EXPECT_FALSE(informer.Get({ns_, "during"}));
  EXPECT_TRUE(informer.Get({ns_, "after"}));
  {
    std::lock_guard l(mu);
    EXPECT_EQ(deletes["during"], 1);
    EXPECT_EQ(adds["after"], 1);
  }
  informer.Stop();
}

}  // namespace
}  // namespace fedcrm::kube
