#include "operator/region_silo_controller.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "core/common/error.h"
#include "kube/api_error.h"
#include "kube/conditions.h"
#include "kube/resources.h"
#include "operator/fedcrm_resources.h"
#include "operator/json_fields.h"
#include "operator/object_names.h"
#include "operator/privacy_ledger.h"
#include "operator/region_silo.h"
#include "operator/round_admission.h"

namespace fedcrm::op {
namespace {

using kube::Json;

constexpr char kTlsSecretType[] = "kubernetes.io/tls";

Json& Status(Json& object) {
  if (!object.contains("status") || !object["status"].is_object())
    object["status"] = Json::object();
  return object["status"];
}

int64_t Generation(const Json& object) { return object["metadata"].value("generation", 0); }

const Json& Conditions(const Json& status) {
  static const Json kNone = Json::array();
  auto it = status.find("conditions");
  return it != status.end() && it->is_array() ? *it : kNone;
}

// The reason of a condition in `status`, or "" when it is absent.
std::string ConditionReason(const Json& status, const char* type) {
  const Json* condition = kube::FindCondition(Conditions(status), type);
  return condition == nullptr ? "" : condition->value("reason", "");
}

std::string Number(double value) {
  std::ostringstream out;
  out.precision(4);
  out << value;
  return out.str();
}

bool IsEmptyValue(const Json& value) {
  return value.is_null() || ((value.is_array() || value.is_object()) && value.empty());
}

// Whether `actual` holds everything `desired` sets. The API server adds
// fields (metadata, defaults) and omits empty lists and maps, so an object
// read back is compared only on what the operator wrote, and an empty value
// it wrote matches an absent one.
bool Covers(const Json& actual, const Json& desired) {
  if (desired.is_object()) {
    if (!actual.is_object()) return false;
    for (const auto& [key, value] : desired.items()) {
      auto it = actual.find(key);
      if (it == actual.end() || it->is_null()) {
        if (!IsEmptyValue(value)) return false;
      } else if (!Covers(*it, value)) {
        return false;
      }
    }
    return true;
  }
  if (desired.is_array()) {
    if (!actual.is_array() || actual.size() != desired.size()) return false;
    for (size_t i = 0; i < desired.size(); ++i) {
      if (!Covers(actual[i], desired[i])) return false;
    }
    return true;
  }
  return actual == desired;
}

std::optional<Json> GetIfExists(kube::Client& client, const kube::GroupVersionResource& gvr,
                                const kube::ObjectKey& key) {
  try {
    return client.Get(gvr, key);
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return std::nullopt;
    throw;
  }
}

kube::ObjectKey KeyOf(const Json& object) {
  return {object["metadata"].value("namespace", ""), object["metadata"].value("name", "")};
}

// `existing` with the labels, annotations and top-level fields of `desired`
// laid over it; what others added to the object stays.
Json Merged(const Json& existing, const Json& desired) {
  Json merged = existing;
  for (const char* field : {"labels", "annotations"}) {
    if (!desired["metadata"].contains(field)) continue;
    Json& target = merged["metadata"][field];
    if (!target.is_object()) target = Json::object();
    target.update(desired["metadata"][field]);
  }
  for (const auto& [key, value] : desired.items()) {
    if (key != "metadata") merged[key] = value;
  }
  return merged;
}

// Creates `desired`, or updates the object when it lacks something the
// operator sets. Writes nothing when the object is as desired.
void EnsureObject(kube::Client& client, const kube::GroupVersionResource& gvr,
                  const Json& desired) {
  const std::optional<Json> existing = GetIfExists(client, gvr, KeyOf(desired));
  if (!existing) {
    client.Create(gvr, desired);
    return;
  }
  if (Covers(*existing, desired)) return;
  // Conditional on the version read: a concurrent change wins, and the
  // controller looks again.
  client.Update(gvr, Merged(*existing, desired));
}

}  // namespace

RegionSiloReconciler::RegionSiloReconciler(kube::Client& hub, ClusterConnections& clusters,
                                           const FederationCa& ca, kube::EventRecorder* events,
                                           RegionSiloControllerOptions options)
    : hub_(hub), clusters_(clusters), ca_(ca), events_(events), options_(std::move(options)) {}

ReconcileResult RegionSiloReconciler::Reconcile(const kube::ObjectKey& key) {
  Json object;
  try {
    object = hub_.Get(kRegionSilos, key);
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return {};
    throw;
  }
  const Json before = Status(object);
  Json& status = Status(object);
  const int64_t generation = Generation(object);
  const auto now = options_.now();
  auto set = [&](const char* type, bool value, const std::string& reason,
                 const std::string& message) {
    kube::SetCondition(status["conditions"], type, value ? "True" : "False", reason, message,
                       generation, now);
  };

  RegionSiloSpec silo;
  try {
    silo = ParseRegionSilo(object);
  } catch (const ConfigError& e) {
    // Fixed only by a new spec, which a watch event brings.
    set(kConditionReady, false, "InvalidSpec", e.what());
    WriteStatusIfChanged(object, before);
    return {};
  }
  RefreshLedger(silo, status, generation);

  // Events for transitions are sent once the status that records them is
  // written, so a retried reconcile does not report them twice.
  std::vector<std::pair<std::string, std::string>> warnings;  // reason, note
  if (ConditionReason(status, kConditionBudgetAvailable) == kReasonBudgetExhausted &&
      ConditionReason(before, kConditionBudgetAvailable) != kReasonBudgetExhausted) {
    warnings.emplace_back(
        kReasonBudgetExhausted,
        kube::FindCondition(Conditions(status), kConditionBudgetAvailable)->value("message", ""));
  }
  auto finish = [&](ReconcileResult result) {
    WriteStatusIfChanged(object, before);
    for (const auto& [reason, note] : warnings) Event(object, "Warning", reason.c_str(), note);
    return result;
  };
  const ReconcileResult retry{std::min(options_.retry_period, options_.resync_period)};

  // Reachable: the kubeconfig resolves and the cluster lists its nodes.
  ClusterConnections::Connection connection;
  Json nodes;
  std::string unreachable_reason;
  std::string unreachable_message;
  try {
    connection = clusters_.For(silo);
  } catch (const ConfigError& e) {
    unreachable_reason = "KubeconfigInvalid";
    unreachable_message = e.what();
  } catch (const kube::ApiError& e) {
    unreachable_reason = "KubeconfigUnavailable";
    unreachable_message = e.what();
  } catch (const kube::TransportError& e) {
    unreachable_reason = "KubeconfigUnavailable";
    unreachable_message = e.what();
  }
  if (connection.client) {
    try {
      nodes = kube::ListAll(*connection.client, kube::resources::kNodes, "").items;
    } catch (const kube::ApiError& e) {
      unreachable_reason = "ClusterUnreachable";
      unreachable_message = "cluster " + connection.cluster + ": " + e.what();
    } catch (const kube::TransportError& e) {
      unreachable_reason = "ClusterUnreachable";
      unreachable_message = "cluster " + connection.cluster + ": " + e.what();
    }
  }
  if (!unreachable_reason.empty()) {
    set(kConditionReachable, false, unreachable_reason, unreachable_message);
    set(kConditionReady, false, unreachable_reason, unreachable_message);
    return finish(retry);
  }
  set(kConditionReachable, true, "NodesListed",
      "cluster " + connection.cluster + " answered with " + std::to_string(nodes.size()) +
          " nodes");

  // Residency, before anything of the silo's is put into the cluster.
  const ResidencyCheck residency = CheckResidency(silo.region, nodes, silo.worker.node_selector);
  set(kConditionResidencyVerified, residency.verified, residency.reason, residency.message);
  if (!residency.verified) {
    if (kube::IsTrue(Conditions(before), kConditionResidencyVerified)) {
      warnings.emplace_back("ResidencyLost", residency.message);
    }
    set(kConditionReady, false, "ResidencyNotVerified", residency.message);
    return finish({options_.resync_period});
  }

  try {
    const std::string certificate = Provision(silo, *connection.client);
    if (!certificate.empty()) Event(object, "Normal", "CertificateIssued", certificate);
  } catch (const kube::ApiError& e) {
    set(kConditionReady, false, "ProvisioningFailed", e.what());
    return finish(retry);
  } catch (const kube::TransportError& e) {
    set(kConditionReady, false, "ProvisioningFailed", e.what());
    return finish(retry);
  } catch (const ConfigError& e) {
    set(kConditionReady, false, "ProvisioningFailed", e.what());
    return finish(retry);
  }
  set(kConditionReady, true, "Provisioned",
      "the worker's ServiceAccount, TLS Secret and NetworkPolicy are in place in cluster " +
          connection.cluster + ", namespace " + silo.TargetNamespace());
  // Certificates age and nodes change without an event on the hub.
  return finish({options_.resync_period});
}

void RegionSiloReconciler::RefreshLedger(const RegionSiloSpec& silo, Json& status,
                                         int64_t generation) {
  const auto now = options_.now();
  const Json* stored = FindField(status, "ledger");
  try {
    const SiloLedger ledger = SiloLedger::FromStatus(
        stored ? *stored : Json(), silo.privacy_budget,
        "RegionSilo " + silo.namespace_ + "/" + silo.name + " status.ledger");
    status["ledger"] = ledger.ToStatus();
    const std::string summary = "epsilon " + Number(ledger.EpsilonRemaining()) + " of " +
                                Number(ledger.epsilon_budget()) + " remaining (spent " +
                                Number(ledger.EpsilonSpent()) + ", reserved " +
                                Number(ledger.EpsilonReserved()) + ")";
    if (ledger.EpsilonRemaining() > 0) {
      kube::SetCondition(status["conditions"], kConditionBudgetAvailable, "True", "BudgetRemaining",
                         summary, generation, now);
    } else {
      kube::SetCondition(status["conditions"], kConditionBudgetAvailable, "False",
                         kReasonBudgetExhausted, summary, generation, now);
    }
  } catch (const ConfigError& e) {
    // The ledger is the only record of what was spent: never reset it.
    kube::SetCondition(status["conditions"], kConditionBudgetAvailable, "False",
                       kReasonLedgerInvalid, e.what(), generation, now);
  }
}

std::string RegionSiloReconciler::Provision(const RegionSiloSpec& silo, kube::Client& cluster) {
  EnsureObject(cluster, kube::resources::kServiceAccounts, BuildWorkerServiceAccount(silo));
  std::string certificate = EnsureTlsSecret(silo, cluster);
  EnsureObject(cluster, kube::resources::kNetworkPolicies,
               BuildWorkerNetworkPolicy(silo, options_.aggregator));
  return certificate;
}

std::string RegionSiloReconciler::EnsureTlsSecret(const RegionSiloSpec& silo,
                                                  kube::Client& cluster) {
  const kube::ObjectKey key{silo.TargetNamespace(), WorkerTlsSecretName(silo.name)};
  const std::optional<Json> existing = GetIfExists(cluster, kube::resources::kSecrets, key);
  std::string why = "Missing: no Secret " + key.ToString();
  if (existing) {
    const CertificateCheck check = ca_.CheckWorkerSecret(*existing, silo.name, options_.now());
    if (check.valid) return "";
    why = check.reason + ": " + check.message;
  }
  const Json desired =
      BuildWorkerTlsSecret(silo, ca_.IssueWorkerCertificate(silo.name), ca_.certificate_pem());
  if (!existing) {
    cluster.Create(kube::resources::kSecrets, desired);
  } else if (existing->value("type", "") != kTlsSecretType) {
    // A Secret's type is immutable: replace it.
    kube::DeleteOptions options;
    const std::string uid = (*existing)["metadata"].value("uid", "");
    if (!uid.empty()) options.precondition_uid = uid;
    cluster.Delete(kube::resources::kSecrets, key, options);
    cluster.Create(kube::resources::kSecrets, desired);
  } else {
    Json updated = Merged(*existing, desired);
    // stringData replaces data on write; stale data must not survive it.
    updated.erase("data");
    cluster.Update(kube::resources::kSecrets, updated);
  }
  return "issued the worker certificate for " + silo.name + " into Secret " + key.ToString() +
         " (" + why + ")";
}

void RegionSiloReconciler::WriteStatusIfChanged(Json& object, const Json& before) {
  Json& status = Status(object);
  status["observedGeneration"] = Generation(object);
  if (status == before) return;
  object = hub_.UpdateStatus(kRegionSilos, object);
}

void RegionSiloReconciler::Event(const Json& object, const char* type, const char* reason,
                                 const std::string& note) {
  if (events_ != nullptr) events_->Record(object, type, reason, "Reconcile", note);
}

}  // namespace fedcrm::op
