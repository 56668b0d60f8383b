#include "operator/silo_provisioning.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/common/yaml_json.h"

namespace fedcrm::op {
namespace {

RegionSiloSpec Silo() {
  return ParseRegionSilo(ReadYamlFile("examples/kubernetes/regionsilo-us-east.yaml"));
}

Json Node(const std::string& name, std::map<std::string, std::string> labels,
          bool unschedulable = false) {
  Json node = {{"metadata", {{"name", name}, {"labels", Json(labels)}}}};
  if (unschedulable) node["spec"]["unschedulable"] = true;
  return node;
}

TEST(SiloProvisioningTest, ServiceAccountHasNoToken) {
  const RegionSiloSpec silo = Silo();
  const Json sa = BuildWorkerServiceAccount(silo);
  EXPECT_EQ(sa["kind"], "ServiceAccount");
  EXPECT_EQ(sa["metadata"]["name"], "fedcrm-worker-" + silo.name);
  EXPECT_EQ(sa["metadata"]["namespace"], silo.TargetNamespace());
  EXPECT_EQ(sa["automountServiceAccountToken"], false);
  EXPECT_EQ(sa["metadata"]["labels"]["app.kubernetes.io/managed-by"], "fedcrm-operator");
}

TEST(SiloProvisioningTest, TlsSecretCarriesCertificateKeyAndCa) {
  const RegionSiloSpec silo = Silo();
  const Json secret = BuildWorkerTlsSecret(silo, {"CERT", "KEY"}, "CA");
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  EXPECT_EQ(secret["metadata"]["name"], "fedcrm-worker-" + silo.name + "-tls");
  EXPECT_EQ(secret["stringData"]["tls.crt"], "CERT");
  EXPECT_EQ(secret["stringData"]["tls.key"], "KEY");
  EXPECT_EQ(secret["stringData"]["ca.crt"], "CA");
}

TEST(SiloProvisioningTest, NetworkPolicyAllowsOnlyTheAggregatorAndDns) {
  const RegionSiloSpec silo = Silo();
  AggregatorEndpoint endpoint;
  endpoint.cidr = "203.0.113.7";
  endpoint.port = 8443;
  const Json policy = BuildWorkerNetworkPolicy(silo, endpoint);
  const Json& spec = policy["spec"];
  EXPECT_EQ(spec["podSelector"]["matchLabels"]["fedcrm.io/silo"], silo.name);
  EXPECT_EQ(spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"], "worker");
  EXPECT_EQ(spec["policyTypes"], Json::array({"Ingress", "Egress"}));
  EXPECT_TRUE(spec["ingress"].empty());
  ASSERT_EQ(spec["egress"].size(), 2u);
  EXPECT_EQ(spec["egress"][0]["to"][0]["ipBlock"]["cidr"], "203.0.113.7/32");
  EXPECT_EQ(spec["egress"][0]["ports"][0]["port"], 8443);
  EXPECT_EQ(spec["egress"][0]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(spec["egress"][1]["ports"].size(), 2u);
  EXPECT_FALSE(spec["egress"][1].contains("to"));

  endpoint.cidr = "2001:db8::1";
  EXPECT_EQ(
      BuildWorkerNetworkPolicy(silo, endpoint)["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"],
      "2001:db8::1/128");
  endpoint.cidr = "10.0.0.0/8";
  EXPECT_EQ(
      BuildWorkerNetworkPolicy(silo, endpoint)["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"],
      "10.0.0.0/8");
}

TEST(SiloProvisioningTest, NetworkPolicyBySelectorsInTheSameCluster) {
  AggregatorEndpoint endpoint;
  endpoint.namespace_ = "fedcrm-system";
  endpoint.pod_labels = {{"app.kubernetes.io/name", "fedcrm-aggregator"}};
  const Json to = BuildWorkerNetworkPolicy(Silo(), endpoint)["spec"]["egress"][0]["to"][0];
  EXPECT_EQ(to["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "fedcrm-system");
  EXPECT_EQ(to["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "fedcrm-aggregator");
  EXPECT_FALSE(to.contains("ipBlock"));
}

TEST(SiloProvisioningTest, RefusesBadEndpoints) {
  AggregatorEndpoint endpoint;
  EXPECT_THROW(BuildWorkerNetworkPolicy(Silo(), endpoint), ConfigError);  // neither form
  endpoint.cidr = "aggregator.example.com";
  EXPECT_THROW(BuildWorkerNetworkPolicy(Silo(), endpoint), ConfigError);
  endpoint.cidr = "10.0.0.1/33";
  EXPECT_THROW(BuildWorkerNetworkPolicy(Silo(), endpoint), ConfigError);
  endpoint.cidr = "10.0.0.1";
  endpoint.namespace_ = "x";
  EXPECT_THROW(BuildWorkerNetworkPolicy(Silo(), endpoint), ConfigError);  // both forms
  endpoint.namespace_.clear();
  endpoint.port = 70000;
  EXPECT_THROW(BuildWorkerNetworkPolicy(Silo(), endpoint), ConfigError);
}

TEST(SiloProvisioningTest, ResidencyNeedsEveryCandidateNodeInTheRegion) {
  const std::string r = "topology.kubernetes.io/region";
  const Json nodes = {
      {"items",
       {Node("a", {{r, "us-east-1"}, {"pool", "fedcrm"}}),
        Node("b", {{r, "us-east-1"}, {"pool", "fedcrm"}}),
        Node("c", {{r, "us-west-2"}, {"pool", "other"}}),
        Node("d", {{r, "us-west-2"}, {"pool", "fedcrm"}}, /*unschedulable=*/true)}}};
  const ResidencyCheck pool = CheckResidency("us-east-1", nodes, {{"pool", "fedcrm"}});
  EXPECT_TRUE(pool.verified) << pool.message;
  EXPECT_EQ(pool.eligible_nodes, (std::vector<std::string>{"a", "b"}));

  const ResidencyCheck any = CheckResidency("us-east-1", nodes, {});
  EXPECT_FALSE(any.verified);
  EXPECT_EQ(any.reason, "NodesOutsideRegion");
  EXPECT_NE(any.message.find("c (us-west-2)"), std::string::npos) << any.message;
  EXPECT_EQ(any.message.find("d ("), std::string::npos) << any.message;

  const ResidencyCheck none = CheckResidency("us-east-1", nodes, {{"pool", "gpu"}});
  EXPECT_FALSE(none.verified);
  EXPECT_EQ(none.reason, "NoSchedulableNodes");

  const ResidencyCheck unlabelled =
      CheckResidency("us-east-1", Json::array({Node("e", {{"pool", "fedcrm"}})}), {});
  EXPECT_FALSE(unlabelled.verified);
  EXPECT_NE(unlabelled.message.find("e (no topology.kubernetes.io/region label)"),
            std::string::npos);
  EXPECT_FALSE(CheckResidency("us-east-1", Json::object(), {}).verified);
}

}  // namespace
}  // namespace fedcrm::op
