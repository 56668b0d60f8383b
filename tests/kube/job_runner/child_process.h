// A worker process in its own process group, standing in for a container:
// signals go to the whole group, and whatever the process left behind is
// killed when it exits, as the container runtime would.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fedcrm::testing::jobs {

struct SpawnRequest {
  std::string program;
  std::vector<std::string> args;           // without argv[0]
  std::map<std::string, std::string> env;  // the whole environment
  std::string working_dir;
  std::string log_path;  // stdout and stderr, truncated; stdin is /dev/null
};

struct ExitStatus {
  int code = 0;    // exit code, when `signal` is 0
  int signal = 0;  // the signal that killed it, or 0
  bool Succeeded() const { return signal == 0 && code == 0; }
  std::string Describe() const;  // "exit code 3", "killed by signal 9 (Killed)"
};

class ChildProcess {
 public:
  // Starts the process. Throws std::system_error when it can't (no such
  // program, not executable, log not writable).
  static ChildProcess Spawn(const SpawnRequest& request);

  pid_t pid() const { return pid_; }
  // Sends `signal` to the process group (ignored once it has gone).
  void Signal(int signal) const;
  // Reaps the process without blocking; nullopt while it runs. On exit the
  // rest of its group is sent SIGKILL.
  std::optional<ExitStatus> Poll();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<ExitStatus> exit_;
};

}  // namespace fedcrm::testing::jobs
