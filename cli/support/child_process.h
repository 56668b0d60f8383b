// A child process with its output in a log file: how `fedcrm simulate
// --transport https` runs the aggregator and one worker per silo as real
// processes on this machine.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace fedcrm::cli {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with argv, stdout and stderr appended to
  // `log_path`. Throws fedcrm::Error if it cannot start.
  static ChildProcess Spawn(const std::vector<std::string>& argv, const std::string& log_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills a process still running (SIGKILL) and reaps it.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // The exit code (128 + signal for a signal) once it has exited.
  std::optional<int> TryWait();
  // Waits up to `timeout`; on timeout sends SIGKILL and returns nullopt.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  int Stop(std::chrono::milliseconds grace);

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}

  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> exit_code_;
};

}  // namespace fedcrm::cli
