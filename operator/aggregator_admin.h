// The operator's side of the aggregator's round API (docs/protocol.md): it
// configures rounds and follows their status, as the coordinator identity.
// An interface so the FederatedRound controller is unit-tested without a
// running aggregator.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/fl/round_config.h"
#include "kube/client.h"
#include "runtime/https_client.h"

namespace fedcrm::op {

// The aggregator could not be reached, or answered something unexpected.
class AggregatorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AggregatorAdmin {
 public:
  virtual ~AggregatorAdmin() = default;
  // PUT /v1/rounds/{id}: creates the round or confirms an identical one (a
  // round released before an aggregator restart included). Returns its
  // status. Throws AggregatorError, naming the round, for 409 (configured
  // differently) and any other refusal or transport failure.
  virtual kube::Json PutRound(const fl::RoundConfig& config) = 0;
  // GET /v1/rounds/{id}: the status, or nullopt when the aggregator does not
  // know the round (never configured, or it was running when the aggregator
  // restarted: nothing of it was released). Throws AggregatorError otherwise.
  virtual std::optional<kube::Json> GetRound(const std::string& round) = 0;
};

// Over HTTPS with mutual TLS, as runtime::HttpsClient speaks it.
class HttpsAggregatorAdmin : public AggregatorAdmin {
 public:
  // `base_url`: https://host:port of the aggregator's TLS port.
  HttpsAggregatorAdmin(std::string base_url, runtime::ClientOptions options);
  ~HttpsAggregatorAdmin() override;

  kube::Json PutRound(const fl::RoundConfig& config) override;
  std::optional<kube::Json> GetRound(const std::string& round) override;

 private:
  std::string base_url_;
  std::unique_ptr<runtime::HttpsClient> client_;
};

}  // namespace fedcrm::op
