#include "tests/kube/job_runner/job_status.h"

#include "kube/conditions.h"

namespace fedcrm::testing::jobs {
namespace {

using Json = nlohmann::json;

Json Condition(const char* type, const std::string& reason, const std::string& message,
               Clock::time_point now) {
  const std::string time = kube::FormatRfc3339(now);
  return {{"type", type},       {"status", "True"},      {"reason", reason},
          {"message", message}, {"lastProbeTime", time}, {"lastTransitionTime", time}};
}

}  // namespace

Json RunningStatusPatch(Clock::time_point now) {
  return {{"status", {{"startTime", kube::FormatRfc3339(now)}, {"active", 1}, {"ready", 1}}}};
}

Json SucceededStatusPatch(Clock::time_point now) {
  const std::string reason = "CompletionsReached";
  const std::string message = "Reached expected number of succeeded pods";
  return {{"status",
           {{"active", 0},
            {"ready", 0},
            {"succeeded", 1},
            {"completionTime", kube::FormatRfc3339(now)},
            {"conditions",
             {Condition("SuccessCriteriaMet", reason, message, now),
              Condition("Complete", reason, message, now)}}}}};
}

Json FailedStatusPatch(const std::string& reason, const std::string& message, Clock::time_point now,
                       bool set_start_time) {
  Json status = {{"active", 0},
                 {"ready", 0},
                 {"failed", 1},
                 {"conditions",
                  {Condition("FailureTarget", reason, message, now),
                   Condition("Failed", reason, message, now)}}};
  if (set_start_time) status["startTime"] = kube::FormatRfc3339(now);
  return {{"status", status}};
}

}  // namespace fedcrm::testing::jobs
