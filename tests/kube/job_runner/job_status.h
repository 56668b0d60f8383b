// The status a Job controller writes for a one-pod Job, as merge patches of
// the status subresource that kube-apiserver v1.37's Job status validation
// accepts. What it demands (found against the real server):
//   - startTime is required once a Job has finished, and is immutable once
//     set on an unsuspended Job;
//   - Complete=True needs SuccessCriteriaMet=True and completionTime;
//   - Failed=True needs FailureTarget=True, and no completionTime;
//   - a finished Job has active 0; ready may never exceed active.
// Both conditions of a pair may be set in the same update.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace fedcrm::testing::jobs {

using Clock = std::chrono::system_clock;

// The pod has started: startTime, active 1, ready 1.
nlohmann::json RunningStatusPatch(Clock::time_point now);

// Exit 0: succeeded 1, SuccessCriteriaMet and Complete, completionTime.
nlohmann::json SucceededStatusPatch(Clock::time_point now);

// failed 1, FailureTarget and Failed with `reason` and `message`. A Job that
// never started gets `start_time` too (required for a finished Job).
nlohmann::json FailedStatusPatch(const std::string& reason, const std::string& message,
                                 Clock::time_point now, bool set_start_time = false);

// The reason the Job controller gives a Job with backoffLimit 0 whose pod failed.
inline constexpr char kBackoffLimitExceeded[] = "BackoffLimitExceeded";
// Ours, for a Job whose pod could not be set up (missing volume, Secret, ...).
inline constexpr char kPodSetupFailed[] = "PodSetupFailed";

}  // namespace fedcrm::testing::jobs
