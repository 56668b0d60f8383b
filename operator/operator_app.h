// fedcrm-operator assembled: the hub client, the federation CA, the three
// controllers fed by informers, leader election, and the /metrics /healthz
// /readyz endpoint. main.cc only parses flags and waits for a signal.
#pragma once

#include <atomic>
#include <memory>
#include <stop_token>
#include <string>

#include "kube/client.h"
#include "operator/operator_metrics.h"
#include "operator/operator_options.h"
#include "runtime/https_server.h"

namespace fedcrm::op {

class OperatorApp {
 public:
  // Builds every client from `flags`; throws ConfigError for bad flags or
  // unreadable certificates.
  explicit OperatorApp(OperatorFlags flags);
  ~OperatorApp();
  OperatorApp(const OperatorApp&) = delete;
  OperatorApp& operator=(const OperatorApp&) = delete;

  // Serves /metrics etc., then reconciles (while leading, with
  // --leader-elect) until `stop`. Returns 0 after a requested stop, 1 when
  // leadership was lost (the process should exit and be restarted, as
  // controller-runtime does, rather than run on with stale caches).
  int Run(const std::stop_token& stop);

  uint16_t metrics_port() const;

 private:
  // Runs the controllers until `stop`.
  void RunControllers(const std::stop_token& stop);

  OperatorFlags flags_;
  std::shared_ptr<kube::Client> hub_;
  OperatorMetrics metrics_;
  std::unique_ptr<runtime::HttpsServer> metrics_server_;
  std::atomic<bool> synced_{false};
};

}  // namespace fedcrm::op
