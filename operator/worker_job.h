// The batch/v1 Job that runs one silo's fedcrm-worker in one round, in the
// silo's own cluster, and how to read its outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "operator/fedcrm_resources.h"
#include "operator/federated_round.h"
#include "operator/region_silo.h"

namespace fedcrm::op {

// Where the worker container finds its inputs.
inline constexpr char kWorkerDataMountPath[] = "/var/run/fedcrm/data";
inline constexpr char kWorkerTlsMountPath[] = "/var/run/fedcrm/tls";
inline constexpr int64_t kWorkerUserId = 65532;  // distroless "nonroot"

struct WorkerJobOptions {
  std::string aggregator_url;  // https://host:port, as the worker reaches it
  std::string default_image;   // the operator's --worker-image: silos without their own
  // The Job's activeDeadlineSeconds: the time left until the round's
  // deadline. nullopt: the whole spec.deadlines.roundSeconds.
  std::optional<int64_t> active_deadline_seconds;
  int64_t ttl_seconds_after_finished = 86400;  // long enough to read the outcome
  std::string log_level = "info";
};

// The Job of `silo` in `round` (see WorkerJobName), in silo.TargetNamespace().
// backoffLimit is 0: a retry would train again on the silo's data and spend
// its budget twice. Throws ConfigError when there is no image (neither the
// silo's nor a default) or no aggregator URL.
Json BuildWorkerJob(const FederatedRound& round, const RegionSiloSpec& silo,
                    const WorkerJobOptions& options);

struct JobOutcome {
  enum class State { kRunning, kSucceeded, kFailed };
  State state = State::kRunning;
  std::string reason;   // kFailed: the Failed condition's reason, or PodFailed
  std::string message;  // kFailed: what the API said
  int64_t active = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
};

// The outcome of a Job from its status: the Complete / Failed conditions
// when set, else the pod counts (a Job with backoffLimit 0 has failed once a
// pod has). Tolerates a missing or partial status (a Job just created).
JobOutcome InspectJob(const Json& job);

}  // namespace fedcrm::op
