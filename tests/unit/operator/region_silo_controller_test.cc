// The RegionSilo reconciler against in-memory API servers (a hub and one
// regional cluster): reachability, residency, provisioning and its
// idempotency, the worker certificate, and the ledger in status.
#include "operator/region_silo_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "kube/api_error.h"
#include "kube/conditions.h"
#include "kube/event_recorder.h"
#include "kube/fake_client.h"
#include "kube/resources.h"
#include "operator/fedcrm_resources.h"
#include "operator/object_names.h"
#include "operator/privacy_ledger.h"
#include "operator/silo_ledger_update.h"
#include "runtime/certificates.h"

namespace fedcrm::op {
namespace {

using kube::FakeClient;
using kube::Json;
namespace res = kube::resources;

constexpr char kNamespace[] = "fedcrm";
constexpr char kSilo[] = "us-east";
constexpr char kRegion[] = "us-east-1";
constexpr char kRegionalNamespace[] = "crm-workers";

const FederationCa& Ca() {
  static const FederationCa ca = FederationCa::Create(std::chrono::hours(24 * 365));
  return ca;
}

Json SiloObject(double epsilon = 3.0) {
  return {{"apiVersion", kApiVersion},
          {"kind", kRegionSiloKind},
          {"metadata", {{"name", kSilo}, {"namespace", kNamespace}}},
          {"spec",
           {{"region", kRegion},
            {"jurisdiction", "CCPA"},
            {"cluster",
             {{"kubeconfigSecretRef", {{"name", "us-east-kubeconfig"}}},
              {"namespace", kRegionalNamespace}}},
            {"data", {{"persistentVolumeClaim", {{"claimName", "crm"}}}, {"path", "a.csv"}}},
            {"worker", {{"nodeSelector", {{"pool", "fedcrm"}}}}},
            {"privacyBudget", {{"epsilon", epsilon}, {"delta", 1e-5}}}}}};
}

Json KubeconfigSecret() {
  const std::string kubeconfig =
      "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
      "clusters:\n- name: x\n  cluster: {server: 'https://us-east.example:6443'}\n"
      "contexts:\n- name: c\n  context: {cluster: x, user: u}\n"
      "users:\n- name: u\n  user: {token: t}\n";
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "us-east-kubeconfig"}, {"namespace", kNamespace}}},
          {"stringData", {{"kubeconfig", kubeconfig}}}};
}

Json Node(const std::string& name, const std::string& region) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", name}, {"labels", {{"pool", "fedcrm"}, {kRegionNodeLabel, region}}}}}};
}

// Forwards to a FakeClient, running `before_status_write` once before the
// first status write: another writer getting in between a read and a write.
class InterposingClient : public kube::Client {
 public:
  explicit InterposingClient(FakeClient& inner) : inner_(inner) {}
  Json Get(const kube::GroupVersionResource& gvr, const kube::ObjectKey& key) override {
    return inner_.Get(gvr, key);
  }
  kube::ListResult List(const kube::GroupVersionResource& gvr, std::string_view ns,
                        const kube::ListOptions& options) override {
    return inner_.List(gvr, ns, options);
  }
  Json Create(const kube::GroupVersionResource& gvr, const Json& object) override {
    return inner_.Create(gvr, object);
  }
  Json Update(const kube::GroupVersionResource& gvr, const Json& object) override {
    return inner_.Update(gvr, object);
  }
  Json UpdateStatus(const kube::GroupVersionResource& gvr, const Json& object) override {
    if (before_status_write) std::exchange(before_status_write, nullptr)();
    return inner_.UpdateStatus(gvr, object);
  }
  Json Patch(const kube::GroupVersionResource& gvr, const kube::ObjectKey& key,
             kube::PatchType type, const Json& patch, const kube::PatchOptions& options,
             std::string_view subresource) override {
    return inner_.Patch(gvr, key, type, patch, options, subresource);
  }
  void Delete(const kube::GroupVersionResource& gvr, const kube::ObjectKey& key,
              const kube::DeleteOptions& options) override {
    inner_.Delete(gvr, key, options);
  }
  void Watch(const kube::GroupVersionResource& gvr, std::string_view ns,
             const kube::WatchOptions& options,
             const std::function<bool(const kube::WatchEvent&)>& on_event) override {
    inner_.Watch(gvr, ns, options, on_event);
  }

  std::function<void()> before_status_write;

 private:
  FakeClient& inner_;
};

bool IsWrite(const FakeClient::Action& action) {
  return action.verb == FakeClient::Verb::kCreate || action.verb == FakeClient::Verb::kUpdate ||
         action.verb == FakeClient::Verb::kPatch || action.verb == FakeClient::Verb::kDelete;
}

class RegionSiloControllerTest : public ::testing::Test {
 protected:
  RegionSiloControllerTest()
      : regional_(std::make_shared<FakeClient>()),
        clusters_(hub_,
                  [this](const kube::KubeConfig& config) -> std::shared_ptr<kube::Client> {
                    EXPECT_EQ(config.server, "https://us-east.example:6443");
                    return regional_;
                  }),
        events_(hub_, "fedcrm.io/operator", "test") {
    hub_.RegisterStatusSubresource(kRegionSilos);
    hub_.RegisterStatusSubresource(kFederatedRounds);
    hub_.RegisterStatusSubresource(kFederatedModels);
    hub_.AddObject(res::kSecrets, KubeconfigSecret());
    regional_->AddObject(res::kNodes, Node("n1", kRegion));
    regional_->AddObject(res::kNodes, Node("n2", kRegion));
    options_.aggregator.cidr = "203.0.113.7";
    options_.resync_period = std::chrono::minutes(5);
    options_.retry_period = std::chrono::seconds(30);
  }

  RegionSiloReconciler& Reconciler() {
    if (!reconciler_) {
      reconciler_ =
          std::make_unique<RegionSiloReconciler>(hub_, clusters_, Ca(), &events_, options_);
    }
    return *reconciler_;
  }
  ReconcileResult Reconcile() { return Reconciler().Reconcile({kNamespace, kSilo}); }

  Json Silo() { return hub_.Get(kRegionSilos, {kNamespace, kSilo}); }
  const Json* Condition(const Json& silo, const char* type) {
    return kube::FindCondition(silo["status"]["conditions"], type);
  }
  std::string ConditionStatus(const char* type) {
    const Json silo = Silo();
    const Json* c = Condition(silo, type);
    return c ? c->value("status", "") : "<absent>";
  }
  std::string ConditionReason(const char* type) {
    const Json silo = Silo();
    const Json* c = Condition(silo, type);
    return c ? c->value("reason", "") : "<absent>";
  }
  int RegionalWrites() {
    int n = 0;
    for (const auto& a : regional_->Actions()) n += IsWrite(a);
    return n;
  }
  int SiloWrites() {
    int n = 0;
    for (const auto& a : hub_.Actions()) n += IsWrite(a) && a.gvr.resource == "regionsilos";
    return n;
  }
  Json WorkerSecret() {
    return regional_->Get(res::kSecrets, {kRegionalNamespace, WorkerTlsSecretName(kSilo)});
  }
  std::vector<std::string> EventReasons() {
    std::vector<std::string> out;
    for (const Json& e : hub_.List(res::kEvents, kNamespace).items) out.push_back(e["reason"]);
    return out;
  }

  FakeClient hub_;
  std::shared_ptr<FakeClient> regional_;
  ClusterConnections clusters_;
  kube::EventRecorder events_;
  RegionSiloControllerOptions options_;
  std::unique_ptr<RegionSiloReconciler> reconciler_;
};

TEST_F(RegionSiloControllerTest, VerifiedResidencyProvisionsTheWorkersObjects) {
  hub_.AddObject(kRegionSilos, SiloObject());
  const ReconcileResult result = Reconcile();
  ASSERT_TRUE(result.requeue_after.has_value());
  EXPECT_EQ(*result.requeue_after, std::chrono::minutes(5));

  EXPECT_EQ(ConditionStatus(kConditionReachable), "True");
  EXPECT_EQ(ConditionStatus(kConditionResidencyVerified), "True");
  EXPECT_EQ(ConditionReason(kConditionResidencyVerified), "NodesInRegion");
  EXPECT_EQ(ConditionStatus(kConditionBudgetAvailable), "True");
  EXPECT_EQ(ConditionStatus(kConditionReady), "True");
  const Json silo = Silo();
  EXPECT_EQ(silo["status"]["observedGeneration"], silo["metadata"]["generation"]);
  EXPECT_DOUBLE_EQ(silo["status"]["ledger"]["epsilonRemaining"].get<double>(), 3.0);
  EXPECT_EQ(silo["status"]["ledger"]["roundsJoined"], 0);

  const Json sa =
      regional_->Get(res::kServiceAccounts, {kRegionalNamespace, WorkerServiceAccountName(kSilo)});
  EXPECT_EQ(sa["automountServiceAccountToken"], false);
  const Json policy =
      regional_->Get(res::kNetworkPolicies, {kRegionalNamespace, WorkerNetworkPolicyName(kSilo)});
  EXPECT_EQ(policy["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"], "203.0.113.7/32");
  const Json secret = WorkerSecret();
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  EXPECT_TRUE(Ca().CheckWorkerSecret(secret, kSilo, std::chrono::system_clock::now()).valid);
  // Nothing of the worker's lands on the hub.
  EXPECT_TRUE(hub_.List(res::kServiceAccounts, kNamespace).items.empty());
}

TEST_F(RegionSiloControllerTest, NodesOutsideTheRegionBlockProvisioning) {
  regional_->AddObject(res::kNodes, Node("n3", "eu-west-1"));
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionReachable), "True");
  EXPECT_EQ(ConditionStatus(kConditionResidencyVerified), "False");
  EXPECT_EQ(ConditionReason(kConditionResidencyVerified), "NodesOutsideRegion");
  const Json silo = Silo();
  EXPECT_NE(Condition(silo, kConditionResidencyVerified)->value("message", "").find("n3"),
            std::string::npos);
  EXPECT_EQ(ConditionStatus(kConditionReady), "False");
  EXPECT_EQ(ConditionReason(kConditionReady), "ResidencyNotVerified");
  EXPECT_EQ(RegionalWrites(), 0);
}

TEST_F(RegionSiloControllerTest, LosingResidencyIsReportedOnceAndStopsBeingReady) {
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  ASSERT_EQ(ConditionStatus(kConditionReady), "True");
  regional_->AddObject(res::kNodes, Node("n3", ""));
  Reconcile();
  Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionReady), "False");
  const auto reasons = EventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "ResidencyLost"), 1);
}

TEST_F(RegionSiloControllerTest, NoSchedulableNodesIsNotVerified) {
  regional_ = std::make_shared<FakeClient>();  // a cluster without nodes
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  EXPECT_EQ(ConditionReason(kConditionResidencyVerified), "NoSchedulableNodes");
  EXPECT_EQ(RegionalWrites(), 0);
}

TEST_F(RegionSiloControllerTest, ASecondReconcileWritesNothing) {
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  ASSERT_EQ(ConditionStatus(kConditionReady), "True");
  const std::string certificate = WorkerSecret()["stringData"]["tls.crt"];
  regional_->ClearActions();
  hub_.ClearActions();
  Reconcile();
  EXPECT_EQ(RegionalWrites(), 0);
  EXPECT_EQ(SiloWrites(), 0);
  EXPECT_EQ(WorkerSecret()["stringData"]["tls.crt"], certificate);
}

TEST_F(RegionSiloControllerTest, ServerAddedFieldsDoNotCauseUpdatesButDriftIsRepaired) {
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  const kube::ObjectKey policy_key{kRegionalNamespace, WorkerNetworkPolicyName(kSilo)};
  Json policy = regional_->Get(res::kNetworkPolicies, policy_key);
  // What an API server adds or drops: annotations, an omitted empty list.
  policy["metadata"]["annotations"]["someone.else/note"] = "kept";
  policy["spec"].erase("ingress");
  regional_->AddObject(res::kNetworkPolicies, policy);
  regional_->ClearActions();
  Reconcile();
  EXPECT_EQ(RegionalWrites(), 0);

  policy = regional_->Get(res::kNetworkPolicies, policy_key);
  policy["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"] = "0.0.0.0/0";
  regional_->AddObject(res::kNetworkPolicies, policy);
  Reconcile();
  policy = regional_->Get(res::kNetworkPolicies, policy_key);
  EXPECT_EQ(policy["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"], "203.0.113.7/32");
  EXPECT_EQ(policy["metadata"]["annotations"]["someone.else/note"], "kept");
}

TEST_F(RegionSiloControllerTest, ACertificateForAnotherSiloIsReissued) {
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  Json secret = WorkerSecret();
  const runtime::IssuedCertificate wrong = Ca().IssueWorkerCertificate("eu-west");
  secret["stringData"]["tls.crt"] = wrong.certificate_pem;
  secret["stringData"]["tls.key"] = wrong.private_key_pem;
  regional_->AddObject(res::kSecrets, secret);
  regional_->ClearActions();

  Reconcile();
  secret = WorkerSecret();
  EXPECT_NE(secret["stringData"]["tls.crt"], wrong.certificate_pem);
  EXPECT_EQ(runtime::CertificateIdentity(secret["stringData"]["tls.crt"]), kSilo);
  EXPECT_TRUE(Ca().CheckWorkerSecret(secret, kSilo, std::chrono::system_clock::now()).valid);
  EXPECT_EQ(RegionalWrites(), 1);
  // Issued once: the repaired Secret is kept.
  regional_->ClearActions();
  Reconcile();
  EXPECT_EQ(RegionalWrites(), 0);
}

TEST_F(RegionSiloControllerTest, ASecretOfTheWrongTypeIsReplaced) {
  regional_->AddObject(
      res::kSecrets,
      {{"apiVersion", "v1"},
       {"kind", "Secret"},
       {"type", "Opaque"},
       {"metadata", {{"name", WorkerTlsSecretName(kSilo)}, {"namespace", kRegionalNamespace}}},
       {"stringData", {{"note", "not a certificate"}}}});
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  const Json secret = WorkerSecret();
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  EXPECT_TRUE(Ca().CheckWorkerSecret(secret, kSilo, std::chrono::system_clock::now()).valid);
}

TEST_F(RegionSiloControllerTest, RenewalDueReissuesTheCertificate) {
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  const std::string first = WorkerSecret()["stringData"]["tls.crt"];
  options_.now = [] { return std::chrono::system_clock::now() + std::chrono::hours(24 * 80); };
  reconciler_.reset();
  Reconcile();
  EXPECT_NE(WorkerSecret()["stringData"]["tls.crt"], first);
}

SiloLedger LedgerWithHistory() {
  SiloLedger ledger(PrivacyBudget{3.0, 1e-5});
  const auto now = std::chrono::system_clock::time_point(std::chrono::hours(500000));
  ledger.Reserve("m-r1", RoundCharge(0.02, 1.1, 50), now);
  ledger.Commit("m-r1");
  ledger.Reserve("m-r2", RoundCharge(0.02, 1.1, 50), now);
  return ledger;
}

TEST_F(RegionSiloControllerTest, TheLedgerIsKeptAndItsDerivedValuesRecomputed) {
  const Json expected = LedgerWithHistory().ToStatus();
  Json stale = expected;
  stale["epsilonSpent"] = 0.0;  // derived values are recomputed, not trusted
  stale["epsilonRemaining"] = 100.0;
  Json object = SiloObject();
  object["status"]["ledger"] = stale;
  hub_.AddObject(kRegionSilos, object);
  Reconcile();
  const Json ledger = Silo()["status"]["ledger"];
  EXPECT_EQ(ledger, expected);
  EXPECT_EQ(ledger["reservations"].size(), 1u);
  EXPECT_EQ(ledger["committedRounds"], Json::array({"m-r1"}));
  EXPECT_GT(ledger["epsilonSpent"].get<double>(), 0);
  EXPECT_EQ(ConditionStatus(kConditionBudgetAvailable), "True");
  // The round controllers read it back to the same ledger.
  const SiloLedger reread = SiloLedger::FromStatus(ledger, PrivacyBudget{3.0, 1e-5});
  EXPECT_TRUE(reread.IsCommitted("m-r1"));
  EXPECT_TRUE(reread.IsReserved("m-r2"));
}

TEST_F(RegionSiloControllerTest, AMalformedLedgerIsReportedAndNeverReset) {
  Json ledger = LedgerWithHistory().ToStatus();
  ledger["reservations"][0].erase("rdp");  // its charge cannot be recovered
  Json object = SiloObject();
  object["status"]["ledger"] = ledger;
  hub_.AddObject(kRegionSilos, object);
  Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionBudgetAvailable), "False");
  EXPECT_EQ(ConditionReason(kConditionBudgetAvailable), "LedgerInvalid");
  EXPECT_EQ(Silo()["status"]["ledger"], ledger);
}

TEST_F(RegionSiloControllerTest, AnExhaustedBudgetIsAConditionAndOneEvent) {
  SiloLedger ledger(PrivacyBudget{0.5, 1e-5});
  ledger.Commit("m-r1", RoundCharge(0.05, 0.8, 200));  // spent past the budget
  ASSERT_LE(ledger.EpsilonRemaining(), 0);
  Json object = SiloObject(0.5);
  object["status"]["ledger"] = ledger.ToStatus();
  hub_.AddObject(kRegionSilos, object);
  Reconcile();
  Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionBudgetAvailable), "False");
  EXPECT_EQ(ConditionReason(kConditionBudgetAvailable), "BudgetExhausted");
  // Budget is not readiness: round admission excludes the silo on budget.
  EXPECT_EQ(ConditionStatus(kConditionReady), "True");
  const auto reasons = EventReasons();
  EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "BudgetExhausted"), 1);
}

TEST_F(RegionSiloControllerTest, AnUnreachableClusterIsRetriedAndProvisionsNothing) {
  regional_->InjectError(FakeClient::Verb::kList, res::kNodes,
                         kube::ApiError(503, "ServiceUnavailable", "etcd is down", "list nodes"));
  hub_.AddObject(kRegionSilos, SiloObject());
  const ReconcileResult result = Reconcile();
  ASSERT_TRUE(result.requeue_after.has_value());
  EXPECT_EQ(*result.requeue_after, std::chrono::seconds(30));
  EXPECT_EQ(ConditionStatus(kConditionReachable), "False");
  EXPECT_EQ(ConditionReason(kConditionReachable), "ClusterUnreachable");
  EXPECT_NE(Condition(Silo(), kConditionReachable)->value("message", "").find("etcd is down"),
            std::string::npos);
  EXPECT_EQ(ConditionStatus(kConditionReady), "False");
  EXPECT_EQ(RegionalWrites(), 0);

  Reconcile();  // the cluster is back
  EXPECT_EQ(ConditionStatus(kConditionReachable), "True");
  EXPECT_EQ(ConditionStatus(kConditionReady), "True");
}

TEST_F(RegionSiloControllerTest, AMissingKubeconfigSecretMakesTheSiloUnreachable) {
  hub_.Delete(res::kSecrets, {kNamespace, "us-east-kubeconfig"});
  hub_.AddObject(kRegionSilos, SiloObject());
  Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionReachable), "False");
  EXPECT_EQ(ConditionStatus(kConditionReady), "False");
}

TEST_F(RegionSiloControllerTest, AFailedProvisioningIsNotReady) {
  regional_->InjectError(FakeClient::Verb::kCreate, res::kServiceAccounts,
                         kube::ApiError(403, "Forbidden", "no", "create serviceaccounts"));
  hub_.AddObject(kRegionSilos, SiloObject());
  const ReconcileResult result = Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionReady), "False");
  EXPECT_EQ(ConditionReason(kConditionReady), "ProvisioningFailed");
  EXPECT_EQ(*result.requeue_after, std::chrono::seconds(30));
  Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionReady), "True");
}

TEST_F(RegionSiloControllerTest, AnInvalidSpecIsReportedWithoutRequeue) {
  Json object = SiloObject();
  object["spec"]["privacyBudget"]["epsilon"] = -1;
  hub_.AddObject(kRegionSilos, object);
  const ReconcileResult result = Reconcile();
  EXPECT_FALSE(result.requeue_after.has_value());
  EXPECT_EQ(ConditionStatus(kConditionReady), "False");
  EXPECT_EQ(ConditionReason(kConditionReady), "InvalidSpec");
  EXPECT_EQ(RegionalWrites(), 0);
}

TEST_F(RegionSiloControllerTest, AConcurrentReservationIsNeverOverwritten) {
  hub_.AddObject(kRegionSilos, SiloObject());
  InterposingClient hub(hub_);
  ClusterConnections clusters(hub, [this](const kube::KubeConfig&) { return regional_; });
  RegionSiloReconciler reconciler(hub, clusters, Ca(), nullptr, options_);
  // A round controller reserves between this reconcile's read and its write.
  hub.before_status_write = [&] {
    UpdateSiloLedger(hub_, {kNamespace, kSilo}, [](SiloLedger& ledger) {
      return ledger.Reserve("m-r1", RoundCharge(0.02, 1.1, 50), std::chrono::system_clock::now());
    });
  };
  try {
    reconciler.Reconcile({kNamespace, kSilo});
    ADD_FAILURE() << "a write from a stale read was accepted";
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.IsConflict());
  }
  reconciler.Reconcile({kNamespace, kSilo});  // the controller loop's retry
  const Json ledger = Silo()["status"]["ledger"];
  ASSERT_EQ(ledger["reservations"].size(), 1u);
  EXPECT_EQ(ledger["reservations"][0]["round"], "m-r1");
  EXPECT_GT(ledger["epsilonReserved"].get<double>(), 0);
  EXPECT_EQ(ConditionStatus(kConditionReady), "True");
}

TEST_F(RegionSiloControllerTest, ADeletedSiloIsDone) {
  EXPECT_FALSE(Reconcile().requeue_after.has_value());
}

TEST_F(RegionSiloControllerTest, ASiloOnTheHubProvisionsInItsOwnNamespace) {
  Json object = SiloObject();
  object["spec"].erase("cluster");
  hub_.AddObject(kRegionSilos, object);
  hub_.AddObject(res::kNodes, Node("hub-1", kRegion));
  Reconcile();
  EXPECT_EQ(ConditionStatus(kConditionReady), "True");
  EXPECT_NO_THROW(hub_.Get(res::kSecrets, {kNamespace, WorkerTlsSecretName(kSilo)}));
}

}  // namespace
}  // namespace fedcrm::op
