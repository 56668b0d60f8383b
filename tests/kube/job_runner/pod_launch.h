// How the pod template of a Job becomes a local process: which argv and
// environment to run with, and which directories stand in for its volumes.
// This is what kubelet does for a container, reduced to what the fedcrm
// worker Jobs use: one container, env values, Secret, persistentVolumeClaim
// and emptyDir volumes.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fedcrm::testing::jobs {

// A Secret volume to write under `dir` once the Secret has been read.
struct SecretVolume {
  std::string volume;       // the volume's name in the pod template
  std::string secret_name;  // in the Job's namespace
  nlohmann::json items;     // the volume's items (null: every key)
  int default_mode = 0400;
  bool optional = false;
  std::filesystem::path dir;
};

struct LaunchPlan {
  std::vector<std::string> args;                  // the container's args, paths rewritten
  std::map<std::string, std::string> env;         // the container's env, paths rewritten
  std::vector<SecretVolume> secrets;              // to write before the process starts
  std::vector<std::filesystem::path> empty_dirs;  // to create
};

struct LaunchContext {
  std::filesystem::path job_dir;  // WORK_DIR/<cluster>/<namespace>/<job>
  // persistentVolumeClaim claimName -> host directory.
  std::map<std::string, std::string> claims;
  // Added to the container's env: PATH, HOME, FEDCRM_FAIL_AT ...
  std::map<std::string, std::string> extra_env;
};

// The plan for the Job's only container. Env values and args that start with
// a volume's mountPath (the whole path, or followed by '/') are rewritten to
// the local directory of that volume. Throws ConfigError naming the Job and
// the field for what a kubelet would refuse or what is not emulated: not
// exactly one container, init containers, envFrom / valueFrom, a volume type
// other than secret, persistentVolumeClaim and emptyDir, a claim without a
// mapping in `context.claims`, a mount of an undeclared volume.
LaunchPlan PlanLaunch(const nlohmann::json& job, const LaunchContext& context);

// Writes `volume`'s files from `secret` (null: not found) into volume.dir:
// every data key, or the volume's items (key -> path, with mode), mode from
// the item, else defaultMode, else 0400. Throws ConfigError naming the Secret
// for a missing Secret or key that isn't optional, undecodable data, or an
// item path that leaves the directory.
void WriteSecretVolume(const SecretVolume& volume, const nlohmann::json& secret);

}  // namespace fedcrm::testing::jobs
