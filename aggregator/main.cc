// fedcrm-aggregator: the round service. Everything but the process plumbing
// lives in the library (aggregator_service.h).
#include <iostream>
#include <string>
#include <vector>

#include "aggregator/aggregator_options.h"
#include "aggregator/aggregator_service.h"
#include "core/common/error.h"
#include "runtime/certificates.h"
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
    const auto flags =
        fedcrm::aggregator::ParseAggregatorFlags(std::vector<std::string>(argv + 1, argv + argc));
    if (flags.version) {
      std::cout << "fedcrm-aggregator " << FEDCRM_VERSION << "\n";
      return 0;
    }
    if (flags.help) {
      std::cout << fedcrm::aggregator::AggregatorUsage();
      return 0;
    }
    Log().SetLevel(fedcrm::runtime::ParseLogLevel(flags.log_level, "--log-level"));
    fedcrm::aggregator::AggregatorOptions options;
    options.listen = flags.listen;
    options.metrics_listen = flags.metrics_listen;
    options.certificate_pem = fedcrm::runtime::ReadPemFile(flags.tls_cert);
    options.private_key_pem = fedcrm::runtime::ReadPemFile(flags.tls_key);
    options.ca_pem = fedcrm::runtime::ReadPemFile(flags.ca);
    options.data_dir = flags.data_dir;
    options.coordinator_identity = flags.coordinator_identity;
    options.max_body_bytes = flags.max_body_bytes;

    fedcrm::aggregator::AggregatorService service(std::move(options));
    service.Start();
    std::cout << "listening on https://" << flags.listen.address << ":" << service.tls_port()
              << ", metrics on http://" << flags.metrics_listen.address << ":"
              << service.metrics_port() << std::endl;
    Log().Info("listening", {{"tls_port", service.tls_port()},
                             {"metrics_port", service.metrics_port()},
                             {"version", FEDCRM_VERSION}});
    Log().Info("stopping", {{"signal", stop_signals.Wait()}});
    service.Stop();
    Log().Info("stopped");
    return 0;
  } catch (const fedcrm::Error& e) {
    Log().Error("fedcrm-aggregator cannot start", {{"error", e.what()}});
    std::cerr << "fedcrm-aggregator: " << e.what() << "\n";
    return 2;
  }
}
