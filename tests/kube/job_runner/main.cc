// fedcrm-job-runner: runs the fedcrm worker Jobs of API-server-only test
// clusters as local processes. See job_runner.h.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "kube/kube_config.h"
#include "kube/rest_client.h"
#include "tests/kube/job_runner/job_runner.h"
#include "tests/kube/job_runner/job_runner_options.h"

namespace {

using namespace fedcrm::testing::jobs;  // NOLINT(build/namespaces): a short main

// SIGTERM and SIGINT are blocked in every thread (the HTTP client's threads
// inherit the mask) and taken synchronously by WaitForStop.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

bool WaitForStop(std::chrono::milliseconds interval) {
  const sigset_t set = StopSignals();
  timespec timeout{static_cast<time_t>(interval.count() / 1000),
                   static_cast<long>(interval.count() % 1000) * 1'000'000};
  int signal = 0;
  do {
    signal = sigtimedwait(&set, nullptr, &timeout);
  } while (signal < 0 && errno == EINTR);
  return signal > 0;
}

std::vector<Cluster> Connect(const JobRunnerOptions& options) {
  std::vector<Cluster> clusters;
  for (const ClusterFlag& flag : options.clusters) {
    clusters.push_back({flag.name, std::make_unique<fedcrm::kube::RestClient>(
                                       fedcrm::kube::LoadKubeconfig(flag.kubeconfig))});
  }
  return clusters;
}

void CheckWorker(const std::string& path) {
  if (access(path.c_str(), X_OK) != 0) {
    throw fedcrm::ConfigError("--worker " + path, "not an executable file");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << JobRunnerUsage();
      return 0;
    }
  }
  const sigset_t stop = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    JobRunnerOptions options = ParseJobRunnerOptions(args);
    CheckWorker(options.worker);
    std::filesystem::create_directories(options.work_dir);
    JobRunner runner(options, Connect(options), std::cerr);
    std::cerr << "[job-runner] watching " << options.clusters.size() << " cluster(s)" << std::endl;
    runner.Run(WaitForStop);
  } catch (const fedcrm::Error& e) {
    std::cerr << "fedcrm-job-runner: " << e.what() << "\n";
    return 2;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "fedcrm-job-runner: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
