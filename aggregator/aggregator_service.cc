#include "aggregator/aggregator_service.h"

#include "aggregator/aggregator_metrics.h"
#include "aggregator/http_api.h"
#include "aggregator/optimizer_state_store.h"
#include "aggregator/release_log.h"
#include "aggregator/round_registry.h"
#include "core/model/model_store.h"
#include "runtime/https_server.h"
#include "runtime/log.h"
#include "runtime/metric_registry.h"
#include "runtime/ops_endpoints.h"

namespace fedcrm::aggregator {

AggregatorService::AggregatorService(AggregatorOptions options) : options_(std::move(options)) {
  std::error_code error;
  std::filesystem::create_directories(options_.data_dir, error);
  if (error) {
    throw ConfigError(options_.data_dir.string(),
                      "cannot create the data directory: " + error.message());
  }
  store_ = std::make_unique<model::ModelStore>(options_.data_dir / "models");
  release_log_ = std::make_unique<ReleaseLog>(options_.data_dir / "releases.jsonl");
  if (release_log_->dropped_torn_lines() > 0) {
    runtime::Log().Warn("release log: dropped a torn last line",
                        {{"path", release_log_->path().string()}});
  }
  optimizer_states_ = std::make_unique<OptimizerStateStore>(options_.data_dir / "optimizer");
  metrics_ = std::make_unique<AggregatorMetrics>();
  metrics_->UpdatePrivacy(release_log_->Spending());
  metrics_->RestoreModelMetrics(release_log_->Records());

  RoundServices services;
  services.store = store_.get();
  services.release_log = release_log_.get();
  services.optimizer_states = optimizer_states_.get();
  services.metrics = metrics_.get();
  registry_ = std::make_unique<RoundRegistry>(services);
  HttpApiOptions api_options;
  api_options.coordinator_identity = options_.coordinator_identity;
  api_ = std::make_unique<HttpApi>(registry_.get(), store_.get(), metrics_.get(), api_options);

  runtime::ServerOptions tls;
  tls.address = options_.listen.address;
  tls.port = options_.listen.port;
  tls.tls = runtime::TlsServerOptions{options_.certificate_pem, options_.private_key_pem,
                                      options_.ca_pem, true};
  tls.threads = options_.threads;
  tls.max_body_bytes = options_.max_body_bytes;
  tls_server_ = std::make_unique<runtime::HttpsServer>(std::move(tls));
  api_->Register(*tls_server_);

  runtime::ServerOptions plain;
  plain.address = options_.metrics_listen.address;
  plain.port = options_.metrics_listen.port;
  plain.threads = 2;
  plain.max_body_bytes = 1 << 16;
  metrics_server_ = std::make_unique<runtime::HttpsServer>(std::move(plain));
  runtime::ServeOpsEndpoints(
      *metrics_server_, [this] { return metrics_->Render(); }, [this] { return ready_.load(); });
}

AggregatorService::~AggregatorService() { Stop(std::chrono::seconds(0)); }

void AggregatorService::Start() {
  metrics_server_->Start();
  tls_server_->Start();
  registry_->StartTicker(options_.tick_period);
  ready_ = true;
}

void AggregatorService::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  ready_ = false;
  registry_->StopTicker();
  tls_server_->Stop(grace);
  metrics_server_->Stop(grace);
}

uint16_t AggregatorService::tls_port() const { return tls_server_->port(); }
uint16_t AggregatorService::metrics_port() const { return metrics_server_->port(); }

}  // namespace fedcrm::aggregator
