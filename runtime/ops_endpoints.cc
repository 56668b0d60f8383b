#include "runtime/ops_endpoints.h"

#include <pthread.h>

#include <csignal>

#include "runtime/metric_registry.h"

namespace fedcrm::runtime {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void ServeOpsEndpoints(HttpsServer& server, std::function<std::string()> render_metrics,
                       std::function<bool()> ready, std::string not_ready) {
  server.Handle("GET", "/metrics", [render = std::move(render_metrics)](const Request&) {
    Response response;
    response.content_type = kExpositionContentType;
    response.body = render();
    return response;
  });
  server.Handle("GET", "/healthz", [](const Request&) { return Response::Text(200, "ok\n"); });
  server.Handle("GET", "/readyz",
                [ready = std::move(ready), not_ready = std::move(not_ready)](const Request&) {
                  return ready() ? Response::Text(200, "ready\n") : Response::Text(503, not_ready);
                });
}

StopSignals::StopSignals() {
  const sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

std::string StopSignals::Wait() {
  const sigset_t set = StopSet();
  int signal = 0;
  sigwait(&set, &signal);
  return signal == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace fedcrm::runtime
