// The command line of fedcrm-job-runner (see job_runner.h for what it does).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace fedcrm::testing::jobs {

struct ClusterFlag {
  std::string name;        // names the cluster in logs and under --work-dir
  std::string kubeconfig;  // admin kubeconfig of its API server
};

struct JobRunnerOptions {
  std::vector<ClusterFlag> clusters;
  std::string worker;  // the binary run in place of every Job's container
  // persistentVolumeClaim claimName -> host directory standing in for it.
  std::map<std::string, std::string> volumes;
  std::string work_dir;  // per-Job Secret files and logs
  // fedcrm.io/silo label value -> FEDCRM_FAIL_AT ("<stage>/<step>").
  std::map<std::string, std::string> fail_at;
  std::chrono::milliseconds poll_interval{200};
};

// Parses the arguments (without the program name); "--flag value" and
// "--flag=value" both work. Throws ConfigError naming the flag for unknown
// flags, missing values, malformed NAME=VALUE pairs, duplicates, and when
// --cluster, --worker or --work-dir is missing.
JobRunnerOptions ParseJobRunnerOptions(const std::vector<std::string>& args);

std::string JobRunnerUsage();

}  // namespace fedcrm::testing::jobs
