#include "operator/region_silo.h"

#include <gtest/gtest.h>

#include "core/common/yaml_json.h"

namespace fedcrm::op {
namespace {

Json MinimalSilo() {
  return {{"apiVersion", "fedcrm.io/v1alpha1"},
          {"kind", "RegionSilo"},
          {"metadata", {{"name", "us-east"}, {"namespace", "fedcrm"}}},
          {"spec",
           {{"region", "us-east-1"},
            {"jurisdiction", "CCPA"},
            {"data", {{"persistentVolumeClaim", {{"claimName", "crm"}}}, {"path", "a.csv"}}},
            {"privacyBudget", {{"epsilon", 2.5}}}}}};
}

std::string WhereOf(const Json& object) {
  try {
    ParseRegionSilo(object);
  } catch (const ConfigError& e) {
    return e.where();
  }
  return "(no error)";
}

TEST(RegionSiloTest, ParsesTheExamples) {
  const RegionSiloSpec eu =
      ParseRegionSilo(ReadYamlFile("examples/kubernetes/regionsilo-eu-west.yaml"));
  EXPECT_EQ(eu.name, "eu-west");
  EXPECT_EQ(eu.namespace_, "fedcrm");
  EXPECT_EQ(eu.region, "eu-west-1");
  EXPECT_EQ(eu.jurisdiction, "GDPR");
  EXPECT_FALSE(eu.cluster.has_value());
  EXPECT_EQ(eu.TargetNamespace(), "fedcrm");
  EXPECT_EQ(eu.data.claim_name, "crm-eu-west");
  EXPECT_EQ(eu.data.path, "churn/accounts.csv");
  EXPECT_EQ(eu.worker.image, "registry.example.com/fedcrm/worker:0.1.0");
  EXPECT_EQ(eu.worker.resources["limits"]["memory"], "8Gi");
  EXPECT_DOUBLE_EQ(eu.privacy_budget.epsilon, 3.0);
  EXPECT_DOUBLE_EQ(eu.privacy_budget.delta, 1e-5);
  EXPECT_EQ(eu.labels.at("fedcrm.io/federation"), "crm");

  const RegionSiloSpec us =
      ParseRegionSilo(ReadYamlFile("examples/kubernetes/regionsilo-us-east.yaml"));
  ASSERT_TRUE(us.cluster.has_value());
  EXPECT_FALSE(us.cluster->kubeconfig_secret_name.empty());
}

TEST(RegionSiloTest, AppliesTheCrdDefaults) {
  Json object = MinimalSilo();
  object["spec"]["cluster"] = {{"kubeconfigSecretRef", {{"name", "us-kubeconfig"}}}};
  const RegionSiloSpec silo = ParseRegionSilo(object);
  ASSERT_TRUE(silo.cluster.has_value());
  EXPECT_EQ(silo.cluster->kubeconfig_secret_key, "kubeconfig");
  EXPECT_EQ(silo.cluster->namespace_, "fedcrm");
  EXPECT_EQ(silo.cluster->context, "");
  EXPECT_EQ(silo.TargetNamespace(), "fedcrm");
  EXPECT_DOUBLE_EQ(silo.privacy_budget.delta, 1e-5);
  EXPECT_EQ(silo.worker.image_pull_policy, "IfNotPresent");
  EXPECT_EQ(silo.WorkerServiceAccount(), "fedcrm-worker-us-east");
  EXPECT_TRUE(silo.worker.node_selector.empty());

  object["spec"]["worker"] = {{"serviceAccountName", "custom"}};
  object["spec"]["cluster"]["namespace"] = "crm-us";
  const RegionSiloSpec custom = ParseRegionSilo(object);
  EXPECT_EQ(custom.WorkerServiceAccount(), "custom");
  EXPECT_EQ(custom.TargetNamespace(), "crm-us");
}

TEST(RegionSiloTest, ErrorsNameTheObjectAndTheField) {
  Json object = MinimalSilo();
  object["spec"]["privacyBudget"]["epsilon"] = 0;
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.privacyBudget.epsilon");

  object = MinimalSilo();
  object["spec"]["privacyBudget"]["delta"] = 1.0;
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.privacyBudget.delta");

  object = MinimalSilo();
  object["spec"].erase("region");
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.region");

  object = MinimalSilo();
  object["spec"]["data"]["path"] = "../other/a.csv";
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.data.path");
  object["spec"]["data"]["path"] = "/etc/passwd";
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.data.path");

  object = MinimalSilo();
  object["spec"]["data"].erase("persistentVolumeClaim");
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.data.persistentVolumeClaim");

  object = MinimalSilo();
  object["spec"]["cluster"] = {{"kubeconfigSecretRef", {{"key", "k"}}}};
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.cluster.kubeconfigSecretRef.name");

  object = MinimalSilo();
  object["spec"]["worker"] = {{"nodeSelector", {{"pool", 3}}}};
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.worker.nodeSelector.pool");

  object = MinimalSilo();
  object["metadata"].erase("name");
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/<unnamed>: metadata.name");

  EXPECT_THROW(ParseRegionSilo(Json::array()), ConfigError);
  EXPECT_THROW(ParseRegionSilo(Json()), ConfigError);
}

TEST(RegionSiloTest, RefusesANodeSelectorNamingAnotherRegion) {
  Json object = MinimalSilo();
  object["spec"]["worker"] = {{"nodeSelector", {{"topology.kubernetes.io/region", "eu-west-1"}}}};
  EXPECT_EQ(WhereOf(object), "RegionSilo fedcrm/us-east: spec.worker.nodeSelector");
  object["spec"]["worker"]["nodeSelector"]["topology.kubernetes.io/region"] = "us-east-1";
  EXPECT_EQ(ParseRegionSilo(object).worker.node_selector.size(), 1u);
}

}  // namespace
}  // namespace fedcrm::op
