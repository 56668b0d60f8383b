#include "operator/region_silo.h"

#include "kube/resource_key.h"
#include "operator/json_fields.h"
#include "operator/object_names.h"

namespace fedcrm::op {
namespace {

void ParseMetadata(const Json& object, const FieldPath& at, RegionSiloSpec* silo) {
  const Json& metadata = RequiredObject(object, "metadata", at);
  const FieldPath m = at.Child("metadata");
  silo->name = RequiredString(metadata, "name", m);
  if (!kube::IsValidObjectName(silo->name)) {
    throw m.Child("name").Error("'" + silo->name + "' is not a valid object name");
  }
  silo->namespace_ = OptionalString(metadata, "namespace", m, "");
  silo->labels = OptionalStringMap(metadata, "labels", m);
  silo->generation = OptionalInteger(metadata, "generation", m, 0, 0, INT64_MAX);
}

SiloCluster ParseCluster(const Json& cluster, const FieldPath& at) {
  SiloCluster out;
  const Json& ref = RequiredObject(cluster, "kubeconfigSecretRef", at);
  const FieldPath r = at.Child("kubeconfigSecretRef");
  out.kubeconfig_secret_name = RequiredString(ref, "name", r);
  out.kubeconfig_secret_key = OptionalString(ref, "key", r, kDefaultKubeconfigKey);
  out.context = OptionalString(cluster, "context", at, "");
  out.namespace_ = OptionalString(cluster, "namespace", at, kDefaultSiloNamespace);
  if (!kube::IsValidNamespace(out.namespace_)) {
    throw at.Child("namespace").Error("'" + out.namespace_ + "' is not a valid namespace name");
  }
  return out;
}

SiloData ParseData(const Json& data, const FieldPath& at) {
  SiloData out;
  const Json& pvc = RequiredObject(data, "persistentVolumeClaim", at);
  out.claim_name = RequiredString(pvc, "claimName", at.Child("persistentVolumeClaim"));
  out.path = RequiredString(data, "path", at);
  // The path is joined to the mount point: it must stay inside the volume.
  if (out.path.front() == '/') {
    throw at.Child("path").Error("'" + out.path +
                                 "' is absolute; expected a path relative to the volume");
  }
  const std::string padded = "/" + out.path + "/";
  if (padded.find("/../") != std::string::npos) {
    throw at.Child("path").Error("'" + out.path + "' leaves the volume through '..'");
  }
  return out;
}

SiloWorker ParseWorker(const Json& worker, const FieldPath& at, const std::string& region) {
  SiloWorker out;
  out.image = OptionalString(worker, "image", at, "");
  out.image_pull_policy = OptionalString(worker, "imagePullPolicy", at, "IfNotPresent");
  if (out.image_pull_policy != "Always" && out.image_pull_policy != "IfNotPresent" &&
      out.image_pull_policy != "Never") {
    throw at.Child("imagePullPolicy")
        .Error("'" + out.image_pull_policy + "'; expected Always, IfNotPresent or Never");
  }
  out.service_account_name =
      OptionalString(worker, "serviceAccountName", at, kDefaultWorkerServiceAccount);
  out.resources = OptionalObject(worker, "resources", at);
  out.node_selector = OptionalStringMap(worker, "nodeSelector", at);
  // Residency: a selector naming another region would schedule the worker
  // where the data may not go.
  auto it = out.node_selector.find(kRegionNodeLabel);
  if (it != out.node_selector.end() && it->second != region) {
    throw at.Child("nodeSelector")
        .Error(std::string(kRegionNodeLabel) + " is '" + it->second + "'; expected spec.region '" +
               region + "' or nothing");
  }
  return out;
}

PrivacyBudget ParseBudget(const Json& budget, const FieldPath& at) {
  PrivacyBudget out;
  out.epsilon = RequiredNumber(budget, "epsilon", at, 0.0, 1e6, /*min_open=*/true);
  out.delta = OptionalNumber(budget, "delta", at, kDefaultSiloDelta, 0.0, 1.0, true);
  if (out.delta >= 1.0) throw at.Child("delta").Error("expected a number below 1");
  return out;
}

}  // namespace

std::string RegionSiloSpec::TargetNamespace() const {
  return cluster ? cluster->namespace_ : namespace_;
}

std::string RegionSiloSpec::WorkerServiceAccount() const {
  if (worker.service_account_name.empty() ||
      worker.service_account_name == kDefaultWorkerServiceAccount) {
    return WorkerServiceAccountName(name);
  }
  return worker.service_account_name;
}

RegionSiloSpec ParseRegionSilo(const Json& object) {
  const FieldPath at(DescribeObject(object, kRegionSiloKind), "");
  if (!object.is_object()) throw at.Error("expected a JSON object");
  RegionSiloSpec silo;
  ParseMetadata(object, at, &silo);
  const Json& spec = RequiredObject(object, "spec", at);
  const FieldPath s = at.Child("spec");
  silo.region = RequiredString(spec, "region", s);
  silo.jurisdiction = RequiredString(spec, "jurisdiction", s);
  if (FindField(spec, "cluster") != nullptr) {
    silo.cluster = ParseCluster(RequiredObject(spec, "cluster", s), s.Child("cluster"));
  }
  silo.data = ParseData(RequiredObject(spec, "data", s), s.Child("data"));
  silo.worker = ParseWorker(OptionalObject(spec, "worker", s), s.Child("worker"), silo.region);
  silo.privacy_budget =
      ParseBudget(RequiredObject(spec, "privacyBudget", s), s.Child("privacyBudget"));
  return silo;
}

}  // namespace fedcrm::op
