// The whole aggregator in one object: model store, release log, optimizer
// state, round registry and its ticker, the mutual-TLS API server and the
// plain-HTTP metrics server. main.cc wraps it in a process; `fedcrm
// simulate` and tests may run it in-process.
//
// Data directory layout:
//   <data>/models/          the content-addressed model store
//   <data>/releases.jsonl   the release log (privacy accounting)
//   <data>/optimizer/       server optimizer state per model line
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "aggregator/aggregator_options.h"

namespace fedcrm::model {
class ModelStore;
}
namespace fedcrm::runtime {
class HttpsServer;
}

namespace fedcrm::aggregator {

class AggregatorMetrics;
class HttpApi;
class OptimizerStateStore;
class ReleaseLog;
class RoundRegistry;

struct AggregatorOptions {
  ListenAddress listen{"127.0.0.1", 0};
  ListenAddress metrics_listen{"127.0.0.1", 0};
  std::string certificate_pem;  // the server's certificate and key
  std::string private_key_pem;
  std::string ca_pem;  // the federation CA client certificates must chain to
  std::filesystem::path data_dir;
  std::string coordinator_identity = "fedcrm-operator";
  size_t max_body_bytes = size_t{64} << 20;
  std::chrono::milliseconds tick_period{200};
  int threads = 8;
};

class AggregatorService {
 public:
  // Opens the data directory (creating it) and replays the release log.
  // Throws fedcrm::ConfigError / DataError naming what is wrong.
  explicit AggregatorService(AggregatorOptions options);
  ~AggregatorService();
  AggregatorService(const AggregatorService&) = delete;
  AggregatorService& operator=(const AggregatorService&) = delete;

  // Binds both ports and starts serving; /readyz answers 200 afterwards.
  void Start();
  // Stops the ticker and both servers, letting requests in flight finish
  // within `grace`. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  uint16_t tls_port() const;
  uint16_t metrics_port() const;

  RoundRegistry& registry() { return *registry_; }
  AggregatorMetrics& metrics() { return *metrics_; }
  ReleaseLog& release_log() { return *release_log_; }
  model::ModelStore& store() { return *store_; }
  const HttpApi& api() const { return *api_; }

 private:
  AggregatorOptions options_;
  std::unique_ptr<model::ModelStore> store_;
  std::unique_ptr<ReleaseLog> release_log_;
  std::unique_ptr<OptimizerStateStore> optimizer_states_;
  std::unique_ptr<AggregatorMetrics> metrics_;
  std::unique_ptr<RoundRegistry> registry_;
  std::unique_ptr<HttpApi> api_;
  std::unique_ptr<runtime::HttpsServer> tls_server_;
  std::unique_ptr<runtime::HttpsServer> metrics_server_;
  std::atomic<bool> ready_{false};
  bool stopped_ = false;
};

}  // namespace fedcrm::aggregator
