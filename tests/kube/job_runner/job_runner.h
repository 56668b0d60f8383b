// fedcrm-job-runner: a TEST HARNESS that stands in for kubelet, the scheduler
// and the Job controller of the API-server-only test clusters
// (tests/kube/README.md: they have none of these). It polls each cluster's
// Jobs labelled app.kubernetes.io/managed-by=fedcrm-operator and, for each new
// one, does what those components would do for a one-pod Job:
//   - schedules: a Job runs only if its pod template's nodeSelector matches
//     the labels of some schedulable Node object of that cluster; otherwise it
//     stays pending (no startTime), as a pod no node fits would;
//   - starts: writes status startTime / active, writes the template's Secret
//     volumes to files, maps persistentVolumeClaims to host directories
//     (--volume), rewrites env values and args under a mountPath to those
//     directories, and runs --worker (in place of the image) with the
//     container's args and env;
//   - finishes: writes the status the Job controller would (job_status.h);
//   - kills the process group of a Job deleted while it runs (SIGTERM, then
//     SIGKILL after 5 s), as pod deletion would.
// It does NOT emulate: retries (backoffLimit is taken as 0), parallelism or
// completions above 1, activeDeadlineSeconds, ttlSecondsAfterFinished,
// suspend/resume of a started Job, Pod objects, node affinity, taints and
// tolerations, resource limits, security contexts (the worker runs as the
// runner's user), image and command, $(VAR) expansion, valueFrom/envFrom,
// ConfigMap and other volume types, readiness, or adopting Jobs a previous
// runner started (they stay active).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "kube/client.h"
#include "tests/kube/job_runner/child_process.h"
#include "tests/kube/job_runner/job_runner_options.h"

namespace fedcrm::testing::jobs {

struct Cluster {
  std::string name;
  std::unique_ptr<kube::Client> client;
};

class JobRunner {
 public:
  // `log` gets one line per transition.
  JobRunner(JobRunnerOptions options, std::vector<Cluster> clusters, std::ostream& log);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // One pass over every cluster: list Nodes and Jobs, start new Jobs, reap
  // finished workers and write their status, kill workers of deleted Jobs.
  // API errors are logged and retried on the next pass.
  void PollOnce();

  // PollOnce every poll interval until `wait_for_stop(interval)` returns
  // true, then Shutdown().
  void Run(const std::function<bool(std::chrono::milliseconds)>& wait_for_stop);

  // Stops every worker: SIGTERM, SIGKILL after 5 s; returns once all are
  // reaped. Their Jobs' status is left as it is (still active).
  void Shutdown();

  // Workers running now (for tests and logs).
  size_t running() const;

 private:
  struct ClusterState;
  struct RunningJob;
  struct StatusWrite;

  void PollCluster(ClusterState& cluster);
  void NoticeDeletions(ClusterState& cluster, const std::vector<nlohmann::json>& jobs);
  void Consider(ClusterState& cluster, const nlohmann::json& job,
                const std::vector<nlohmann::json>& nodes);
  void Start(ClusterState& cluster, const nlohmann::json& job);
  ChildProcess Launch(ClusterState& cluster, const nlohmann::json& job,
                      const std::filesystem::path& dir);
  void Reap();
  void Escalate();
  void WriteStatuses();
  void Log(const std::string& cluster, const std::string& subject, const std::string& message);

  JobRunnerOptions options_;
  std::vector<std::unique_ptr<ClusterState>> clusters_;
  std::vector<RunningJob> running_;
  std::vector<StatusWrite> status_writes_;  // retried until the API takes them
  std::ostream& log_;
};

}  // namespace fedcrm::testing::jobs
