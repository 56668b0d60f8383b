#include "worker/aggregator_client.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "core/model/model_file.h"
#include "runtime/log.h"

namespace fedcrm::worker {
namespace {

using std::chrono::milliseconds;

// The server's {"error": ...} message when there is one, else the status.
std::string ServerMessage(const runtime::ClientResponse& response) {
  const nlohmann::json json = nlohmann::json::parse(response.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) {
    return json["error"].get<std::string>();
  }
  if (!response.body.empty() && response.body.size() <= 512 &&
      response.content_type.rfind("text/", 0) == 0) {
    return response.body;
  }
  return "HTTP " + std::to_string(response.status);
}

// Retry-After in seconds (the only form the aggregator sends), or `fallback`.
milliseconds RetryAfter(const runtime::ClientResponse& response, milliseconds fallback) {
  const std::string text = response.Header("Retry-After");
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || seconds < 0) {
    return fallback;
  }
  // Never a busy loop, even on "Retry-After: 0".
  return std::clamp(milliseconds(seconds * 1000), milliseconds(10), fallback);
}

}  // namespace

AggregatorClient::AggregatorClient(const runtime::HttpsClient& http,
                                   AggregatorClientOptions options)
    : http_(http), options_(std::move(options)) {}

void AggregatorClient::SleepBeforeDeadline(milliseconds wait, const std::string& what) const {
  if (std::chrono::steady_clock::now() + wait > options_.deadline) {
    throw AggregatorError(
        0, "timed out waiting for " + what + " from the aggregator at " + options_.base_url);
  }
  std::this_thread::sleep_for(wait);
}

runtime::ClientResponse AggregatorClient::Send(const std::string& method, const std::string& path,
                                               const std::string& body) const {
  const std::string url = options_.base_url + path;
  const std::string what = method + " " + path;
  milliseconds backoff = options_.first_backoff;
  for (int attempt = 1;; ++attempt) {
    std::string failure;
    int status = 0;
    try {
      runtime::ClientResponse response =
          method == "GET" ? http_.Get(url) : http_.Post(url, body, "application/octet-stream");
      if (response.status >= 200 && response.status < 300) return response;
      status = response.status;
      failure = ServerMessage(response);
      if (status < 500) {
        throw AggregatorError(
            status, what + ": the aggregator answered " + std::to_string(status) + ": " + failure);
      }
    } catch (const runtime::TransportError& e) {
      failure = e.what();
    }
    if (attempt >= options_.max_attempts) {
      throw AggregatorError(
          status, what + ": " +
                      (status == 0 ? "aggregator unreachable: "
                                   : "aggregator error " + std::to_string(status) + ": ") +
                      failure + " (after " + std::to_string(attempt) + " attempts)");
    }
    runtime::Log().Warn("retrying request",
                        {{"request", what}, {"attempt", attempt}, {"reason", failure}});
    SleepBeforeDeadline(backoff, what);
    backoff = std::min(backoff * 2, milliseconds(5000));
  }
}

nlohmann::json AggregatorClient::GetRound() const {
  const std::string path = "/v1/rounds/" + options_.round;
  const runtime::ClientResponse response = Send("GET", path, "");
  nlohmann::json json = nlohmann::json::parse(response.body, nullptr, false);
  if (!json.is_object()) {
    throw AggregatorError(response.status, "GET " + path + ": expected a JSON object");
  }
  return json;
}

std::string AggregatorClient::GetModel(const std::string& digest) const {
  const std::string path = "/v1/models/" + digest;
  runtime::ClientResponse response = Send("GET", path, "");
  const std::string actual = model::Digest(response.body);
  if (actual != digest) {
    throw AggregatorError(response.status, "GET " + path + ": the model's bytes hash to " + actual +
                                               ", not the digest requested");
  }
  return std::move(response.body);
}

void AggregatorClient::Post(const std::string& stage, const std::string& what,
                            std::span<const uint8_t> message) const {
  const std::string body(message.begin(), message.end());
  Send("POST", "/v1/rounds/" + options_.round + "/" + stage + "/" + what, body);
}

std::string AggregatorClient::Poll(const std::string& stage, const std::string& what) const {
  const std::string path = "/v1/rounds/" + options_.round + "/" + stage + "/" + what;
  for (;;) {
    runtime::ClientResponse response = Send("GET", path, "");
    if (response.status != 202) return std::move(response.body);
    SleepBeforeDeadline(RetryAfter(response, options_.poll_interval), "GET " + path);
  }
}

}  // namespace fedcrm::worker
