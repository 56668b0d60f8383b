// fedcrm-operator: the Kubernetes operator. Everything but the process
// plumbing lives in the library (operator_app.h).
#include <iostream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/common/error.h"
#include "operator/operator_app.h"
#include "operator/operator_options.h"
#include "runtime/log.h"
#include "runtime/ops_endpoints.h"

#ifndef FEDCRM_VERSION
#define FEDCRM_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using fedcrm::runtime::Log;
  // Before any thread starts, so only Wait() below sees them.
  fedcrm::runtime::StopSignals stop_signals;

  try {
    fedcrm::op::OperatorFlags flags =
        fedcrm::op::ParseOperatorFlags(std::vector<std::string>(argv + 1, argv + argc));
    if (flags.version) {
      std::cout << "fedcrm-operator " << FEDCRM_VERSION << "\n";
      return 0;
    }
    if (flags.help) {
      std::cout << fedcrm::op::OperatorUsage();
      return 0;
    }
    Log().SetLevel(fedcrm::runtime::ParseLogLevel(flags.log_level, "--log-level"));
    if (flags.worker_image.empty())
      flags.worker_image = std::string("ghcr.io/fedcrm/worker:") + FEDCRM_VERSION;
    fedcrm::op::OperatorApp app(std::move(flags));
    std::stop_source stop;
    std::thread signals([&] {
      Log().Info("stopping", {{"signal", stop_signals.Wait()}});
      stop.request_stop();
    });
    signals.detach();
    const int code = app.Run(stop.get_token());
    Log().Info("stopped", {{"exitCode", code}});
    return code;
  } catch (const fedcrm::Error& e) {
    std::cerr << "fedcrm-operator: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fedcrm-operator: " << e.what() << "\n";
    return 1;
  }
}
