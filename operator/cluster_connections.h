// The API server a RegionSilo's worker objects live in: the hub itself, or
// the regional cluster named by the silo's kubeconfig Secret. Clients are
// cached per silo and rebuilt when the Secret changes (its resourceVersion),
// so a rotated credential is picked up without a restart.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "kube/client.h"
#include "kube/kube_config.h"
#include "operator/region_silo.h"

namespace fedcrm::op {

class ClusterConnections {
 public:
  using ClientFactory = std::function<std::shared_ptr<kube::Client>(const kube::KubeConfig&)>;

  // `hub`: the operator's own cluster, where the custom resources and the
  // kubeconfig Secrets are. `factory` builds a client for a regional cluster
  // (a kube::RestClient in the operator; a fake in unit tests).
  ClusterConnections(kube::Client& hub, ClientFactory factory);

  // The client for `silo`'s cluster, and a short name for it ("hub" or the
  // Secret's name) for status and logs. Throws ConfigError naming the silo,
  // Secret and key when the Secret lacks the key or holds an invalid
  // kubeconfig; kube::ApiError (404 for a missing Secret) and TransportError
  // pass through.
  struct Connection {
    std::shared_ptr<kube::Client> client;
    std::string cluster;
  };
  Connection For(const RegionSiloSpec& silo);

 private:
  struct Cached {
    std::string secret_version;
    Connection connection;
  };

  kube::Client& hub_;
  std::shared_ptr<kube::Client> hub_shared_;  // non-owning alias of hub_
  ClientFactory factory_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // by "<namespace>/<silo>"
};

}  // namespace fedcrm::op
