#include "operator/cluster_connections.h"

#include "core/common/error.h"
#include "kube/resources.h"
#include "operator/federation_ca.h"

namespace fedcrm::op {

ClusterConnections::ClusterConnections(kube::Client& hub, ClientFactory factory)
    : hub_(hub), hub_shared_(std::shared_ptr<kube::Client>(), &hub), factory_(std::move(factory)) {}

ClusterConnections::Connection ClusterConnections::For(const RegionSiloSpec& silo) {
  if (!silo.cluster) return {hub_shared_, "hub"};
  const SiloCluster& cluster = *silo.cluster;
  const std::string where = "RegionSilo " + silo.namespace_ + "/" + silo.name +
                            ": spec.cluster.kubeconfigSecretRef " + cluster.kubeconfig_secret_name;
  // The Secret lives next to the RegionSilo on the hub.
  const kube::Json secret =
      hub_.Get(kube::resources::kSecrets, {silo.namespace_, cluster.kubeconfig_secret_name});
  const std::string version = secret["metadata"].value("resourceVersion", "");
  const std::string key = silo.namespace_ + "/" + silo.name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.secret_version == version) return it->second.connection;
  }
  std::string text;
  try {
    text = SecretValue(secret, cluster.kubeconfig_secret_key);
  } catch (const Error& e) {
    throw ConfigError(where, e.what());
  }
  kube::KubeconfigOptions options;
  options.context = cluster.context;
  const kube::KubeConfig config = kube::ParseKubeconfig(
      text, "Secret " + silo.namespace_ + "/" + cluster.kubeconfig_secret_name, "", options);
  Connection connection{factory_(config), cluster.kubeconfig_secret_name};
  std::lock_guard<std::mutex> lock(mu_);
  cache_[key] = {version, connection};
  return connection;
}

}  // namespace fedcrm::op
