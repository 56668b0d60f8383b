// Typed calls from a worker to fedcrm-aggregator (docs/protocol.md, /v1) over
// mutual TLS.
//
// Retries are safe because the server is idempotent on identical messages:
// transport errors and 5xx answers are retried a few times with exponential
// backoff; 202 ("not ready yet") is polled until the run's deadline. A 4xx
// answer is final and surfaces the server's own message.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "core/common/error.h"
#include "runtime/https_client.h"

namespace fedcrm::worker {

// The aggregator refused a request, failed the round, or could not be
// reached. status(): the HTTP status, or 0 when no answer arrived.
class AggregatorError : public Error {
 public:
  AggregatorError(int status, const std::string& message) : Error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct AggregatorClientOptions {
  std::string base_url;  // https://host:port
  std::string round;
  // Longest wait between polls; a shorter Retry-After from the server wins,
  // so that polling follows the server's pace without ever exceeding this.
  std::chrono::milliseconds poll_interval{1000};
  // No call returns later than this (polls and retries included).
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::now() + std::chrono::hours(1);
  int max_attempts = 5;  // per request, for transport errors and 5xx
  std::chrono::milliseconds first_backoff{200};
};

class AggregatorClient {
 public:
  // `http` must outlive the client.
  AggregatorClient(const runtime::HttpsClient& http, AggregatorClientOptions options);

  // GET /v1/rounds/{round}: the round's status document.
  nlohmann::json GetRound() const;

  // GET /v1/models/{digest}: the model file, whose bytes must hash to
  // `digest` (AggregatorError otherwise: never train on an unverified model).
  std::string GetModel(const std::string& digest) const;

  // POST /v1/rounds/{round}/{stage}/{what} with a protocol message.
  void Post(const std::string& stage, const std::string& what,
            std::span<const uint8_t> message) const;

  // GET /v1/rounds/{round}/{stage}/{what}, polling while the answer is 202.
  std::string Poll(const std::string& stage, const std::string& what) const;

  const AggregatorClientOptions& options() const { return options_; }

 private:
  // One request with retries for transport errors and 5xx; returns the first
  // 2xx answer, throws AggregatorError for anything else.
  runtime::ClientResponse Send(const std::string& method, const std::string& path,
                               const std::string& body) const;
  // Sleeps `wait`, or throws AggregatorError if that would pass the deadline.
  void SleepBeforeDeadline(std::chrono::milliseconds wait, const std::string& what) const;

  const runtime::HttpsClient& http_;
  AggregatorClientOptions options_;
};

}  // namespace fedcrm::worker
