#include "tests/kube/job_runner/job_runner_options.h"

#include <charconv>
#include <optional>
#include <utility>

#include "core/common/error.h"

namespace fedcrm::testing::jobs {
namespace {

// "NAME=VALUE" with both parts non-empty; `shape` names them for the error.
std::pair<std::string, std::string> SplitPair(const std::string& flag, const std::string& value,
                                              const std::string& shape) {
  const size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
    throw ConfigError(flag, "expected " + shape + ", got '" + value + "'");
  }
  return {value.substr(0, eq), value.substr(eq + 1)};
}

void AddUnique(std::map<std::string, std::string>& map, const std::string& flag,
               const std::pair<std::string, std::string>& entry) {
  if (!map.emplace(entry).second) {
    throw ConfigError(flag, "'" + entry.first + "' is given twice");
  }
}

std::chrono::milliseconds ParsePollMs(const std::string& value) {
  int ms = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, ms);
  if (ec != std::errc() || ptr != end || ms < 10 || ms > 60'000) {
    throw ConfigError("--poll-ms", "expected milliseconds from 10 to 60000, got '" + value + "'");
  }
  return std::chrono::milliseconds(ms);
}

void Apply(JobRunnerOptions& options, const std::string& flag, const std::string& value) {
  if (flag == "--cluster") {
    auto [name, path] = SplitPair(flag, value, "NAME=KUBECONFIG");
    for (const ClusterFlag& c : options.clusters) {
      if (c.name == name) throw ConfigError(flag, "cluster '" + name + "' is given twice");
    }
    options.clusters.push_back({name, path});
  } else if (flag == "--worker") {
    options.worker = value;
  } else if (flag == "--volume") {
    AddUnique(options.volumes, flag, SplitPair(flag, value, "CLAIM=HOSTDIR"));
  } else if (flag == "--work-dir") {
    options.work_dir = value;
  } else if (flag == "--fail") {
    AddUnique(options.fail_at, flag, SplitPair(flag, value, "SILO=STAGE/STEP"));
  } else if (flag == "--poll-ms") {
    options.poll_interval = ParsePollMs(value);
  } else {
    throw ConfigError(flag, "unknown flag (see --help)");
  }
}

void RequireSet(bool set, const std::string& flag) {
  if (!set) throw ConfigError(flag, "required");
}

}  // namespace

JobRunnerOptions ParseJobRunnerOptions(const std::vector<std::string>& args) {
  JobRunnerOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> value;
    if (const size_t eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (!flag.starts_with("--")) {
      throw ConfigError("argument '" + flag + "'", "expected a --flag");
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw ConfigError(flag, "needs a value");
    }
    Apply(options, flag, *value);
  }
  RequireSet(!options.clusters.empty(), "--cluster");
  RequireSet(!options.worker.empty(), "--worker");
  RequireSet(!options.work_dir.empty(), "--work-dir");
  return options;
}

std::string JobRunnerUsage() {
  return R"(usage: fedcrm-job-runner --cluster NAME=KUBECONFIG ... --worker PATH
                         --work-dir DIR [--volume CLAIM=HOSTDIR ...]
                         [--fail SILO=STAGE/STEP ...] [--poll-ms 200]

Test harness: stands in for kubelet and the Job controller. Polls the Jobs
labelled app.kubernetes.io/managed-by=fedcrm-operator in every cluster, runs
PATH as a local process for each Job whose nodeSelector matches a Node, and
writes the Job's status from the exit code. Secret volumes are written under
DIR/<cluster>/<namespace>/<job>/<volume>/, the worker's output goes to
DIR/<cluster>/<namespace>/<job>/log. SIGTERM or SIGINT stops every worker.

  --cluster NAME=KUBECONFIG  an API server to serve (repeatable)
  --worker PATH              the binary run instead of the container image
  --work-dir DIR             where Secret files and logs are written
  --volume CLAIM=HOSTDIR     the host directory for a persistentVolumeClaim
  --fail SILO=STAGE/STEP     FEDCRM_FAIL_AT for Jobs labelled fedcrm.io/silo=SILO
  --poll-ms N                how often to list Jobs and Nodes (default 200)
)";
}

}  // namespace fedcrm::testing::jobs
