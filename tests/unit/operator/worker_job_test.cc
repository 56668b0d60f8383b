#include "operator/worker_job.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/common/yaml_json.h"
#include "worker/worker_options.h"

namespace fedcrm::op {
namespace {

RegionSiloSpec Silo() {
  return ParseRegionSilo(ReadYamlFile("examples/kubernetes/regionsilo-us-east.yaml"));
}

FederatedRound Round() {
  return ParseFederatedRound(ReadYamlFile("examples/kubernetes/federatedround-churn.yaml"));
}

WorkerJobOptions Options() {
  WorkerJobOptions options;
  options.aggregator_url = "https://aggregator.fedcrm.example:8443";
  options.default_image = "fedcrm/worker:default";
  return options;
}

const Json& Pod(const Json& job) { return job["spec"]["template"]["spec"]; }

TEST(WorkerJobTest, IsAOneShotJobInTheSilosNamespace) {
  const RegionSiloSpec silo = Silo();
  const Json job = BuildWorkerJob(Round(), silo, Options());
  EXPECT_EQ(job["apiVersion"], "batch/v1");
  EXPECT_EQ(job["kind"], "Job");
  EXPECT_EQ(job["metadata"]["name"], "churn-adhoc-1-" + silo.name);
  EXPECT_EQ(job["metadata"]["namespace"], silo.TargetNamespace());
  EXPECT_EQ(job["metadata"]["labels"]["fedcrm.io/round"], "churn-adhoc-1");
  EXPECT_EQ(job["metadata"]["labels"]["fedcrm.io/silo"], silo.name);
  EXPECT_EQ(job["metadata"]["labels"]["app.kubernetes.io/managed-by"], "fedcrm-operator");
  EXPECT_EQ(job["metadata"]["annotations"]["fedcrm.io/round"], "churn-adhoc-1");
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"], job["metadata"]["labels"]);
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"], 3600);
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"], 86400);
  EXPECT_EQ(Pod(job)["restartPolicy"], "Never");
  EXPECT_EQ(Pod(job)["automountServiceAccountToken"], false);
  EXPECT_EQ(Pod(job)["serviceAccountName"], "fedcrm-worker-" + silo.name);
}

TEST(WorkerJobTest, EnvIsWhatTheWorkerParses) {
  const RegionSiloSpec silo = Silo();
  const Json job = BuildWorkerJob(Round(), silo, Options());
  worker::Environment env;
  for (const Json& var : Pod(job)["containers"][0]["env"]) {
    env[var["name"].get<std::string>()] = var["value"].get<std::string>();
  }
  const worker::WorkerOptions parsed = worker::ParseWorkerOptions({}, env);
  EXPECT_EQ(parsed.aggregator_url, "https://aggregator.fedcrm.example:8443");
  EXPECT_EQ(parsed.round, "churn-adhoc-1");
  EXPECT_EQ(parsed.silo, silo.name);
  EXPECT_EQ(parsed.data_path, std::string(kWorkerDataMountPath) + "/" + silo.data.path);
  EXPECT_EQ(parsed.tls_cert_path, std::string(kWorkerTlsMountPath) + "/tls.crt");
  EXPECT_EQ(parsed.tls_key_path, std::string(kWorkerTlsMountPath) + "/tls.key");
  EXPECT_EQ(parsed.ca_path, std::string(kWorkerTlsMountPath) + "/ca.crt");
  EXPECT_EQ(parsed.timeout, std::chrono::seconds(3600));
  EXPECT_FALSE(parsed.seed.has_value()) << "a production worker must draw its noise from the OS";
}

TEST(WorkerJobTest, MountsDataAndSecretReadOnly) {
  const RegionSiloSpec silo = Silo();
  const Json pod = Pod(BuildWorkerJob(Round(), silo, Options()));
  const Json& volumes = pod["volumes"];
  EXPECT_EQ(volumes[0]["persistentVolumeClaim"]["claimName"], silo.data.claim_name);
  EXPECT_EQ(volumes[0]["persistentVolumeClaim"]["readOnly"], true);
  EXPECT_EQ(volumes[1]["secret"]["secretName"], "fedcrm-worker-" + silo.name + "-tls");
  EXPECT_EQ(volumes[1]["secret"]["defaultMode"], 0400);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(pod["containers"][0]["volumeMounts"][i]["readOnly"], true);
}

TEST(WorkerJobTest, RunsRestrictedInTheSilosRegion) {
  RegionSiloSpec silo = Silo();
  silo.worker.node_selector["topology.kubernetes.io/region"] = "elsewhere";  // hand-built spec
  const Json pod = Pod(BuildWorkerJob(Round(), silo, Options()));
  EXPECT_EQ(pod["nodeSelector"]["topology.kubernetes.io/region"], silo.region);
  EXPECT_EQ(pod["nodeSelector"]["node.kubernetes.io/pool"], "fedcrm");
  const Json& sc = pod["containers"][0]["securityContext"];
  EXPECT_EQ(sc["runAsNonRoot"], true);
  EXPECT_EQ(sc["runAsUser"], 65532);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["capabilities"]["drop"], Json::array({"ALL"}));
  EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_EQ(pod["containers"][0]["resources"], silo.worker.resources);
  EXPECT_EQ(pod["containers"][0]["image"], silo.worker.image);
}

TEST(WorkerJobTest, DeadlineImageAndNameEdgeCases) {
  RegionSiloSpec silo = Silo();
  WorkerJobOptions options = Options();
  options.active_deadline_seconds = 120;
  EXPECT_EQ(BuildWorkerJob(Round(), silo, options)["spec"]["activeDeadlineSeconds"], 120);
  options.active_deadline_seconds = -5;  // the deadline passed meanwhile
  EXPECT_EQ(BuildWorkerJob(Round(), silo, options)["spec"]["activeDeadlineSeconds"], 1);

  silo.worker.image.clear();
  EXPECT_EQ(Pod(BuildWorkerJob(Round(), silo, Options()))["containers"][0]["image"],
            "fedcrm/worker:default");
  options = Options();
  options.default_image.clear();
  EXPECT_THROW(BuildWorkerJob(Round(), silo, options), ConfigError);
  options = Options();
  options.aggregator_url.clear();
  silo.worker.image = "x";
  EXPECT_THROW(BuildWorkerJob(Round(), silo, options), ConfigError);

  FederatedRound round = Round();
  round.name = std::string(70, 'r');
  const Json job = BuildWorkerJob(round, silo, Options());
  EXPECT_EQ(job["metadata"]["name"].get<std::string>().size(), 63u);
  EXPECT_LE(job["metadata"]["labels"]["fedcrm.io/round"].get<std::string>().size(), 63u);
  EXPECT_EQ(job["metadata"]["annotations"]["fedcrm.io/round"], round.name);
}

TEST(WorkerJobTest, InspectsConditionsAndCounts) {
  EXPECT_EQ(InspectJob({{"metadata", {{"name", "j"}}}}).state, JobOutcome::State::kRunning);
  EXPECT_EQ(InspectJob({{"status", {{"active", 1}}}}).state, JobOutcome::State::kRunning);
  const JobOutcome done = InspectJob(
      {{"status",
        {{"succeeded", 1}, {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}});
  EXPECT_EQ(done.state, JobOutcome::State::kSucceeded);
  EXPECT_EQ(done.succeeded, 1);
  const JobOutcome deadline =
      InspectJob({{"status",
                   {{"failed", 1},
                    {"conditions",
                     {{{"type", "Failed"},
                       {"status", "True"},
                       {"reason", "DeadlineExceeded"},
                       {"message", "Job was active longer than specified deadline"}}}}}}});
  EXPECT_EQ(deadline.state, JobOutcome::State::kFailed);
  EXPECT_EQ(deadline.reason, "DeadlineExceeded");
  EXPECT_NE(deadline.message.find("deadline"), std::string::npos);
  const JobOutcome crashed = InspectJob({{"status", {{"failed", 1}}}});
  EXPECT_EQ(crashed.state, JobOutcome::State::kFailed);
  EXPECT_EQ(crashed.reason, "PodFailed");
  // A Failed condition that is not True does not fail the Job.
  EXPECT_EQ(
      InspectJob({{"status", {{"conditions", {{{"type", "Failed"}, {"status", "False"}}}}}}}).state,
      JobOutcome::State::kRunning);
}

}  // namespace
}  // namespace fedcrm::op
