// fedcrm-worker: takes part in one federated round as one silo. See
// worker/worker.h for the pipeline and worker/worker_options.h for settings.
#include <iostream>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "runtime/log.h"
#include "worker/worker.h"
#include "worker/worker_options.h"

#ifndef FEDCRM_VERSION
#define FEDCRM_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace fedcrm;  // NOLINT(build/namespaces): a short main
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << worker::WorkerUsage();
      return 0;
    }
    if (arg == "--version") {
      std::cout << "fedcrm-worker " << FEDCRM_VERSION << "\n";
      return 0;
    }
  }
  worker::WorkerOptions options;
  try {
    options = worker::ParseWorkerOptions(args, worker::ProcessEnvironment());
    runtime::Log().SetLevel(runtime::ParseLogLevel(options.log_level, "flag --log-level"));
  } catch (const Error& e) {
    runtime::Log().Error("bad usage", {{"reason", e.what()}});
    return 2;
  }
  return worker::RunWorker(options);
}
