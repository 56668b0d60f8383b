#include "tests/kube/job_runner/job_runner.h"

#include <signal.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "core/common/error.h"
#include "kube/api_error.h"
#include "kube/resources.h"
#include "tests/kube/job_runner/job_status.h"
#include "tests/kube/job_runner/pod_launch.h"

namespace fedcrm::testing::jobs {
namespace {

using Json = nlohmann::json;
using std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr char kManagedBySelector[] = "app.kubernetes.io/managed-by=fedcrm-operator";
constexpr char kSiloLabel[] = "fedcrm.io/silo";
constexpr auto kKillGrace = std::chrono::seconds(5);
constexpr size_t kMaxLogLine = 300;

std::string Str(const Json& object, std::initializer_list<const char*> path) {
  const Json* at = &object;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return {};
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : std::string();
}

kube::ObjectKey KeyOf(const Json& job) {
  return {Str(job, {"metadata", "namespace"}), Str(job, {"metadata", "name"})};
}

std::string UidOf(const Json& job) { return Str(job, {"metadata", "uid"}); }

bool Deleting(const Json& job) { return !Str(job, {"metadata", "deletionTimestamp"}).empty(); }

const Json& NodeSelectorOf(const Json& job) {
  static const Json kEmpty = Json::object();
  const Json::json_pointer pointer("/spec/template/spec/nodeSelector");
  return job.contains(pointer) && job[pointer].is_object() ? job[pointer] : kEmpty;
}

// As the scheduler's NodeSelector and NodeUnschedulable filters: every
// selector label present with the same value, and the Node not cordoned.
bool Fits(const Json& selector, const Json& node) {
  if (node.contains("spec") && node["spec"].value("unschedulable", false)) return false;
  const Json labels =
      node.contains("metadata") ? node["metadata"].value("labels", Json::object()) : Json::object();
  for (const auto& [key, value] : selector.items()) {
    if (!labels.contains(key) || labels[key] != value) return false;
  }
  return true;
}

bool Schedulable(const Json& job, const std::vector<Json>& nodes) {
  const Json& selector = NodeSelectorOf(job);
  for (const Json& node : nodes) {
    if (Fits(selector, node)) return true;
  }
  return false;
}

std::string LastLine(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  if (last.size() > kMaxLogLine) last = last.substr(0, kMaxLogLine) + "...";
  return last;
}

std::string FailureMessage(const ExitStatus& exit, const fs::path& log) {
  std::string message = "worker " + exit.Describe();
  const std::string last = LastLine(log);
  message += last.empty() ? "; no output" : "; last log line: " + last;
  return message;
}

std::map<std::string, std::string> BaseEnv() {
  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "HOME"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

}  // namespace

struct JobRunner::ClusterState {
  std::string name;
  std::unique_ptr<kube::Client> client;
  std::set<std::string> started;         // UIDs this process has started
  std::set<std::string> logged_pending;  // UIDs whose wait was logged
  std::string last_error;                // logged once per streak
};

struct JobRunner::RunningJob {
  ClusterState* cluster;
  kube::ObjectKey key;
  std::string uid;
  ChildProcess process;
  fs::path log_path;
  bool deleted = false;
  std::optional<steady_clock::time_point> kill_at;  // SIGKILL after the grace period
};

struct JobRunner::StatusWrite {
  ClusterState* cluster;
  kube::ObjectKey key;
  Json patch;
  std::string outcome;  // for the log: "Complete", "Failed: ..."
};

JobRunner::JobRunner(JobRunnerOptions options, std::vector<Cluster> clusters, std::ostream& log)
    : options_(std::move(options)), log_(log) {
  for (Cluster& c : clusters) {
    auto state = std::make_unique<ClusterState>();
    state->name = c.name;
    state->client = std::move(c.client);
    clusters_.push_back(std::move(state));
  }
}

JobRunner::~JobRunner() { Shutdown(); }

size_t JobRunner::running() const { return running_.size(); }

void JobRunner::Log(const std::string& cluster, const std::string& subject,
                    const std::string& message) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  log_ << "[job-runner " << std::put_time(&local, "%H:%M:%S") << "] " << cluster << " " << subject
       << ": " << message << std::endl;
}

void JobRunner::Run(const std::function<bool(std::chrono::milliseconds)>& wait_for_stop) {
  do {
    PollOnce();
  } while (!wait_for_stop(options_.poll_interval));
  Shutdown();
}

void JobRunner::PollOnce() {
  for (auto& cluster : clusters_) PollCluster(*cluster);
  Reap();
  Escalate();
  WriteStatuses();
}

void JobRunner::PollCluster(ClusterState& cluster) {
  std::vector<Json> nodes;
  std::vector<Json> jobs;
  try {
    nodes = kube::ListAll(*cluster.client, kube::resources::kNodes, "").items;
    kube::ListOptions options;
    options.label_selector = kManagedBySelector;
    jobs = kube::ListAll(*cluster.client, kube::resources::kJobs, "", options).items;
  } catch (const std::exception& e) {  // ApiError, TransportError: try again next pass
    if (cluster.last_error != e.what()) Log(cluster.name, "list", e.what());
    cluster.last_error = e.what();
    return;
  }
  cluster.last_error.clear();
  NoticeDeletions(cluster, jobs);
  for (const Json& job : jobs) Consider(cluster, job, nodes);
}

void JobRunner::NoticeDeletions(ClusterState& cluster, const std::vector<Json>& jobs) {
  std::set<std::string> live;
  for (const Json& job : jobs) {
    if (!Deleting(job)) live.insert(UidOf(job));
  }
  for (RunningJob& r : running_) {
    if (r.cluster != &cluster || r.deleted || live.contains(r.uid)) continue;
    r.deleted = true;
    r.kill_at = steady_clock::now() + kKillGrace;
    r.process.Signal(SIGTERM);
    Log(cluster.name, r.key.ToString(),
        "deleted; SIGTERM to worker pid " + std::to_string(r.process.pid()));
  }
}

void JobRunner::Consider(ClusterState& cluster, const Json& job, const std::vector<Json>& nodes) {
  const std::string uid = UidOf(job);
  if (cluster.started.contains(uid) || Deleting(job)) return;
  if (!Str(job, {"status", "startTime"}).empty()) return;  // someone else's, or finished
  const std::string subject = KeyOf(job).ToString();
  if (job.contains("spec") && job["spec"].value("suspend", false)) {
    if (cluster.logged_pending.insert(uid).second) Log(cluster.name, subject, "suspended");
    return;
  }
  if (!Schedulable(job, nodes)) {
    if (cluster.logged_pending.insert(uid).second) {
      Log(cluster.name, subject,
          "pending: nodeSelector " + NodeSelectorOf(job).dump() + " matches none of " +
              std::to_string(nodes.size()) + " node(s)");
    }
    return;
  }
  cluster.logged_pending.erase(uid);
  Start(cluster, job);
}

void JobRunner::Start(ClusterState& cluster, const Json& job) {
  const kube::ObjectKey key = KeyOf(job);
  try {
    cluster.client->Patch(kube::resources::kJobs, key, kube::PatchType::kMerge,
                          RunningStatusPatch(Clock::now()), {}, "status");
  } catch (const kube::TransportError& e) {
    Log(cluster.name, key.ToString(), std::string("cannot start yet: ") + e.what());
    return;  // next pass
  } catch (const kube::ApiError& e) {
    cluster.started.insert(UidOf(job));  // 404 or refused: don't try again
    Log(cluster.name, key.ToString(), std::string("cannot write startTime: ") + e.what());
    return;
  }
  cluster.started.insert(UidOf(job));
  const fs::path dir = fs::path(options_.work_dir) / cluster.name / key.namespace_ / key.name;
  try {
    ChildProcess process = Launch(cluster, job, dir);
    running_.push_back({&cluster, key, UidOf(job), process, dir / "log", false, std::nullopt});
    Log(cluster.name, key.ToString(),
        "running worker pid " + std::to_string(process.pid()) + ", log " + (dir / "log").string());
  } catch (const std::exception& e) {  // Error, ApiError, TransportError, system_error
    status_writes_.push_back({&cluster, key,
                              FailedStatusPatch(kPodSetupFailed, e.what(), Clock::now()),
                              std::string("Failed: ") + e.what()});
  }
}

ChildProcess JobRunner::Launch(ClusterState& cluster, const Json& job, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  LaunchContext context{dir, options_.volumes, BaseEnv()};
  const std::string silo = Str(job, {"metadata", "labels", kSiloLabel});
  if (auto it = options_.fail_at.find(silo); !silo.empty() && it != options_.fail_at.end()) {
    context.extra_env["FEDCRM_FAIL_AT"] = it->second;
  }
  const LaunchPlan plan = PlanLaunch(job, context);
  for (const SecretVolume& volume : plan.secrets) {
    Json secret;  // null: not found
    try {
      secret = cluster.client->Get(kube::resources::kSecrets,
                                   {KeyOf(job).namespace_, volume.secret_name});
    } catch (const kube::ApiError& e) {
      if (!e.IsNotFound()) throw;
    }
    WriteSecretVolume(volume, secret);
  }
  for (const fs::path& empty : plan.empty_dirs) fs::create_directories(empty);
  return ChildProcess::Spawn(
      {options_.worker, plan.args, plan.env, dir.string(), (dir / "log").string()});
}

void JobRunner::Reap() {
  for (auto it = running_.begin(); it != running_.end();) {
    std::optional<ExitStatus> exit = it->process.Poll();
    if (!exit) {
      ++it;
      continue;
    }
    const std::string subject = it->key.ToString();
    if (it->deleted) {
      Log(it->cluster->name, subject, "worker stopped: " + exit->Describe());
    } else if (exit->Succeeded()) {
      status_writes_.push_back({it->cluster, it->key, SucceededStatusPatch(Clock::now()),
                                "Complete (worker exit code 0)"});
    } else {
      const std::string message = FailureMessage(*exit, it->log_path);
      status_writes_.push_back({it->cluster, it->key,
                                FailedStatusPatch(kBackoffLimitExceeded, message, Clock::now()),
                                "Failed: " + message});
    }
    it = running_.erase(it);
  }
}

void JobRunner::Escalate() {
  const auto now = steady_clock::now();
  for (RunningJob& r : running_) {
    if (!r.kill_at || now < *r.kill_at) continue;
    r.process.Signal(SIGKILL);
    r.kill_at.reset();
    Log(r.cluster->name, r.key.ToString(),
        "SIGKILL to worker pid " + std::to_string(r.process.pid()) + " after the grace period");
  }
}

void JobRunner::WriteStatuses() {
  for (auto it = status_writes_.begin(); it != status_writes_.end();) {
    const std::string subject = it->key.ToString();
    try {
      it->cluster->client->Patch(kube::resources::kJobs, it->key, kube::PatchType::kMerge,
                                 it->patch, {}, "status");
      Log(it->cluster->name, subject, it->outcome);
    } catch (const kube::TransportError& e) {
      ++it;  // the API server is away: keep the write for the next pass
      continue;
    } catch (const kube::ApiError& e) {
      Log(it->cluster->name, subject, std::string("status not written: ") + e.what());
    }
    it = status_writes_.erase(it);
  }
}

void JobRunner::Shutdown() {
  if (running_.empty()) return;
  Log("*", "runner", "stopping " + std::to_string(running_.size()) + " worker(s)");
  for (RunningJob& r : running_) {
    r.deleted = true;  // no status for a worker we stop ourselves
    r.process.Signal(SIGTERM);
    r.kill_at = steady_clock::now() + kKillGrace;
  }
  while (!running_.empty()) {
    Reap();
    Escalate();
    if (!running_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace fedcrm::testing::jobs
