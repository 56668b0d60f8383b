#include "tests/kube/job_runner/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace fedcrm::testing::jobs {
namespace {

// posix_spawn's knobs, released however Spawn leaves.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // The runner blocks SIGTERM/SIGINT and its HTTP library ignores SIGPIPE;
  // the worker must start with neither.
  void Configure(const SpawnRequest& request) {
    posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions_, 1, request.log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions_, 1, 2);
    posix_spawn_file_actions_addchdir_np(&actions_, request.working_dir.c_str());
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  }

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string ExitStatus::Describe() const {
  if (signal == 0) return "exit code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

ChildProcess ChildProcess::Spawn(const SpawnRequest& request) {
  SpawnSetup setup;
  setup.Configure(request);
  std::vector<std::string> argv_strings = {request.program};
  argv_strings.insert(argv_strings.end(), request.args.begin(), request.args.end());
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : request.env) {
    env_strings.push_back(std::string(name).append("=").append(value));
  }
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, request.program.c_str(), setup.actions(), setup.attr(),
                                argv.data(), envp.data());
  if (error != 0) {
    throw std::system_error(error, std::generic_category(), "cannot run " + request.program);
  }
  return ChildProcess(pid);
}

void ChildProcess::Signal(int signal) const {
  // The group outlives its leader only until Poll kills it; signalling a
  // reaped group could hit a recycled id.
  if (!exit_) kill(-pid_, signal);
}

std::optional<ExitStatus> ChildProcess::Poll() {
  if (exit_) return exit_;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == 0 || (done < 0 && errno == EINTR)) return std::nullopt;
  ExitStatus exit;
  if (done > 0 && WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
  } else if (done > 0 && WIFEXITED(status)) {
    exit.code = WEXITSTATUS(status);
  } else {
    exit.code = 255;  // lost (ECHILD): report a failure rather than hang
  }
  kill(-pid_, SIGKILL);  // the container is gone: so is everything it started
  exit_ = exit;
  return exit_;
}

}  // namespace fedcrm::testing::jobs
