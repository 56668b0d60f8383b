#include "operator/worker_job.h"

#include "kube/conditions.h"
#include "operator/json_fields.h"
#include "operator/object_names.h"

namespace fedcrm::op {
namespace {

constexpr char kDataVolume[] = "data";
constexpr char kTlsVolume[] = "tls";
constexpr char kTmpVolume[] = "tmp";
constexpr int kSecretFileMode = 0400;

Json Labels(const FederatedRound& round, const RegionSiloSpec& silo) {
  return {{kRoundLabel, LabelValue(round.name)},
          {kSiloLabel, LabelValue(silo.name)},
          {kManagedByLabel, kManagedByValue},
          {kNameLabel, "fedcrm-worker"},
          {kComponentLabel, kWorkerComponent}};
}

Json Env(const FederatedRound& round, const RegionSiloSpec& silo, const WorkerJobOptions& options,
         int64_t deadline) {
  const std::string tls = kWorkerTlsMountPath;
  const std::pair<const char*, std::string> vars[] = {
      {"FEDCRM_AGGREGATOR_URL", options.aggregator_url},
      {"FEDCRM_ROUND", round.name},
      {"FEDCRM_SILO", silo.name},
      {"FEDCRM_DATA", std::string(kWorkerDataMountPath) + "/" + silo.data.path},
      {"FEDCRM_TLS_CERT", tls + "/tls.crt"},
      {"FEDCRM_TLS_KEY", tls + "/tls.key"},
      {"FEDCRM_TLS_CA", tls + "/ca.crt"},
      {"FEDCRM_TIMEOUT_SECONDS", std::to_string(deadline)},
      {"FEDCRM_LOG_LEVEL", options.log_level},
  };
  Json env = Json::array();
  for (const auto& [name, value] : vars) env.push_back({{"name", name}, {"value", value}});
  return env;
}

// The region label wins over the silo's own selector: residency is not
// negotiable.
Json NodeSelector(const RegionSiloSpec& silo) {
  Json selector = Json::object();
  for (const auto& [key, value] : silo.worker.node_selector) selector[key] = value;
  selector[kRegionNodeLabel] = silo.region;
  return selector;
}

Json Container(const FederatedRound& round, const RegionSiloSpec& silo,
               const WorkerJobOptions& options, const std::string& image, int64_t deadline) {
  Json container = {
      {"name", "worker"},
      {"image", image},
      {"imagePullPolicy", silo.worker.image_pull_policy},
      {"env", Env(round, silo, options, deadline)},
      {"volumeMounts",
       {{{"name", kDataVolume}, {"mountPath", kWorkerDataMountPath}, {"readOnly", true}},
        {{"name", kTlsVolume}, {"mountPath", kWorkerTlsMountPath}, {"readOnly", true}},
        {{"name", kTmpVolume}, {"mountPath", "/tmp"}}}},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", kWorkerUserId},
        {"runAsGroup", kWorkerUserId},
        {"readOnlyRootFilesystem", true},
        {"allowPrivilegeEscalation", false},
        {"privileged", false},
        {"capabilities", {{"drop", {"ALL"}}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}}};
  if (!silo.worker.resources.empty()) container["resources"] = silo.worker.resources;
  return container;
}

Json PodSpec(const FederatedRound& round, const RegionSiloSpec& silo,
             const WorkerJobOptions& options, const std::string& image, int64_t deadline) {
  return {{"restartPolicy", "Never"},
          {"serviceAccountName", silo.WorkerServiceAccount()},
          // The worker talks to the aggregator only; an API token would be a
          // credential in a pod that reads customer data.
          {"automountServiceAccountToken", false},
          {"enableServiceLinks", false},
          {"nodeSelector", NodeSelector(silo)},
          // fsGroup makes the kubelet give the group read access to the 0400
          // Secret files, so the non-root worker can read its key.
          {"securityContext",
           {{"runAsNonRoot", true},
            {"runAsUser", kWorkerUserId},
            {"runAsGroup", kWorkerUserId},
            {"fsGroup", kWorkerUserId},
            {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
          {"containers", {Container(round, silo, options, image, deadline)}},
          {"volumes",
           {{{"name", kDataVolume},
             {"persistentVolumeClaim", {{"claimName", silo.data.claim_name}, {"readOnly", true}}}},
            {{"name", kTlsVolume},
             {"secret",
              {{"secretName", WorkerTlsSecretName(silo.name)}, {"defaultMode", kSecretFileMode}}}},
            {{"name", kTmpVolume}, {"emptyDir", {{"sizeLimit", "1Gi"}}}}}}};
}

int64_t Count(const Json& status, const char* key) {
  const Json* value = FindField(status, key);
  return value && value->is_number_integer() ? value->get<int64_t>() : 0;
}

}  // namespace

Json BuildWorkerJob(const FederatedRound& round, const RegionSiloSpec& silo,
                    const WorkerJobOptions& options) {
  const std::string where =
      "worker Job of RegionSilo " + silo.namespace_ + "/" + silo.name + " in round " + round.name;
  const std::string image = silo.worker.image.empty() ? options.default_image : silo.worker.image;
  if (image.empty()) {
    throw ConfigError(where, "no image: set spec.worker.image or the operator's --worker-image");
  }
  if (options.aggregator_url.empty()) throw ConfigError(where, "no aggregator URL configured");
  const int64_t deadline =
      std::max<int64_t>(1, options.active_deadline_seconds.value_or(round.deadlines.round_seconds));
  const Json labels = Labels(round, silo);
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", WorkerJobName(round.name, silo.name)},
            {"namespace", silo.TargetNamespace()},
            {"labels", labels},
            {"annotations",
             {{kRoundAnnotation, round.name},
              {kSiloAnnotation, silo.name},
              {kSiloNamespaceAnnotation, silo.namespace_}}}}},
          {"spec",
           {{"backoffLimit", 0},
            {"completions", 1},
            {"parallelism", 1},
            {"activeDeadlineSeconds", deadline},
            {"ttlSecondsAfterFinished", options.ttl_seconds_after_finished},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec", PodSpec(round, silo, options, image, deadline)}}}}}};
}

JobOutcome InspectJob(const Json& job) {
  JobOutcome out;
  const Json* status = FindField(job, "status");
  if (status == nullptr || !status->is_object()) return out;
  out.active = Count(*status, "active");
  out.succeeded = Count(*status, "succeeded");
  out.failed = Count(*status, "failed");
  const Json* conditions = FindField(*status, "conditions");
  if (conditions != nullptr && kube::IsTrue(*conditions, "Failed")) {
    const Json& failed = *kube::FindCondition(*conditions, "Failed");
    out.state = JobOutcome::State::kFailed;
    out.reason = failed.value("reason", "Failed");
    out.message = failed.value("message", "");
    return out;
  }
  if ((conditions != nullptr && kube::IsTrue(*conditions, "Complete")) || out.succeeded > 0) {
    out.state = JobOutcome::State::kSucceeded;
    return out;
  }
  if (out.failed > 0) {
    out.state = JobOutcome::State::kFailed;
    out.reason = "PodFailed";
    out.message = "the worker pod failed (" + std::to_string(out.failed) + " failed pod(s))";
  }
  return out;
}

}  // namespace fedcrm::op
