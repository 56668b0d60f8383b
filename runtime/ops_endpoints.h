// What every fedcrm service answers on its plain-HTTP operations port, for
// Prometheus and for Kubernetes probes: /metrics, /healthz, /readyz. And
// the SIGTERM/SIGINT handling every binary shares.
#pragma once

#include <functional>
#include <string>

#include "runtime/https_server.h"

namespace fedcrm::runtime {

// GET /metrics: render_metrics() as text exposition 0.0.4; GET /healthz: 200
// while the process serves; GET /readyz: 200 when ready(), else 503 with
// `not_ready`. Call before server.Start().
void ServeOpsEndpoints(HttpsServer& server, std::function<std::string()> render_metrics,
                       std::function<bool()> ready, std::string not_ready = "starting\n");

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// afterwards (construct it first thing in main), so that only Wait() sees
// them; also ignores SIGPIPE (a peer closing a socket must not kill us).
class StopSignals {
 public:
  StopSignals();
  // Waits for SIGTERM or SIGINT and returns its name.
  std::string Wait();
};

}  // namespace fedcrm::runtime
