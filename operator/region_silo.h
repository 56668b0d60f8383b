// A RegionSilo custom resource, parsed (crds/fedcrm.io_regionsilos.yaml).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/common/error.h"
#include "operator/fedcrm_resources.h"

namespace fedcrm::op {

inline constexpr char kDefaultKubeconfigKey[] = "kubeconfig";
inline constexpr char kDefaultSiloNamespace[] = "fedcrm";
inline constexpr char kDefaultWorkerServiceAccount[] = "fedcrm-worker";
inline constexpr double kDefaultSiloDelta = 1e-5;

// spec.cluster: the regional cluster, reached through a kubeconfig Secret.
struct SiloCluster {
  std::string kubeconfig_secret_name;
  std::string kubeconfig_secret_key = kDefaultKubeconfigKey;
  std::string context;  // "": the kubeconfig's current-context
  std::string namespace_ = kDefaultSiloNamespace;
};

struct SiloData {
  std::string claim_name;  // PVC in the worker's namespace
  std::string path;        // CSV inside the volume, relative
};

struct SiloWorker {
  std::string image;  // "": the operator's --worker-image
  std::string image_pull_policy = "IfNotPresent";
  std::string service_account_name = kDefaultWorkerServiceAccount;
  Json resources = Json::object();  // core/v1 ResourceRequirements
  std::map<std::string, std::string> node_selector;
};

struct PrivacyBudget {
  double epsilon = 0;
  double delta = kDefaultSiloDelta;
};

struct RegionSiloSpec {
  std::string name;
  std::string namespace_;
  std::map<std::string, std::string> labels;
  int64_t generation = 0;

  std::string region;
  std::string jurisdiction;
  std::optional<SiloCluster> cluster;  // nullopt: the hub cluster
  SiloData data;
  SiloWorker worker;
  PrivacyBudget privacy_budget;

  // The namespace the worker's objects go into: spec.cluster.namespace in a
  // regional cluster, else the RegionSilo's own namespace on the hub.
  std::string TargetNamespace() const;
  // The ServiceAccount the worker runs as. The CRD's default
  // ("fedcrm-worker") means "the operator's": fedcrm-worker-<silo>, one per
  // silo since silos may share a namespace. Any other name is used as given.
  std::string WorkerServiceAccount() const;
};

// Parses a RegionSilo object (the full document with metadata). Throws
// ConfigError naming the object and the field on anything malformed,
// including a worker.nodeSelector that names another region.
RegionSiloSpec ParseRegionSilo(const Json& object);

}  // namespace fedcrm::op
