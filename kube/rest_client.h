// The Kubernetes API over HTTPS: a Client for a real API server, built from a
// KubeConfig (kubeconfig file or in-cluster service account).
//
//   RestClient client(LoadKubeconfig(path));
//   Json job = client.Get(resources::kJobs, {"region-a", "round-7-eu"});
//
// TLS verifies the server against the config's CA and presents its client
// certificate; the bearer token is read from the config on every request, so
// rotated service-account tokens are picked up. Thread-safe: one client can
// serve every controller and informer of a cluster. cpprestsdk stays behind
// the pimpl: it is slow to compile.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "kube/client.h"
#include "kube/kube_config.h"

namespace fedcrm::kube {

struct RestClientOptions {
  // For one request and its whole answer; watches get their own
  // server-side timeout plus this as a margin.
  std::chrono::milliseconds request_timeout{30'000};
  // "" sends "fedcrm/<version>".
  std::string user_agent;
};

class RestClient : public Client {
 public:
  // Throws ConfigError for a server URL or TLS material it cannot use.
  explicit RestClient(KubeConfig config, RestClientOptions options = {});
  ~RestClient() override;
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

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

  // The API server's URL, as errors name it.
  const std::string& server() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "fedcrm/<version>": the User-Agent the API server's audit log shows.
std::string DefaultUserAgent();

// Sizes the I/O thread pool every RestClient of the process shares. Only
// before the first RestClient exists; later calls fail silently (the pool is
// then fixed). cpprestsdk's default is 40 threads, each with its stack and
// allocator caches, while requests only wait on sockets: a process whose
// threads issue requests one at a time each needs a handful.
void SetRestClientIoThreads(size_t threads);

}  // namespace fedcrm::kube
