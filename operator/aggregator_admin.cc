#include "operator/aggregator_admin.h"

#include <exception>

#include "kube/resource_key.h"

namespace fedcrm::op {
namespace {

std::string RoundPath(const std::string& round) {
  return "/v1/rounds/" + kube::PercentEncode(round);
}

// The aggregator's error bodies are {"error": "..."}; fall back to the raw
// body, shortened, so a proxy's HTML page does not flood the status.
std::string ErrorText(const runtime::ClientResponse& response) {
  try {
    const kube::Json body = kube::Json::parse(response.body);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
      return body["error"].get<std::string>();
    }
  } catch (const std::exception&) {
  }
  return response.body.substr(0, 200);
}

kube::Json ParseStatus(const runtime::ClientResponse& response, const std::string& what) {
  try {
    return kube::Json::parse(response.body);
  } catch (const std::exception& e) {
    throw AggregatorError(what + ": the aggregator answered " + std::to_string(response.status) +
                          " with a body that is not JSON: " + e.what());
  }
}

}  // namespace

HttpsAggregatorAdmin::HttpsAggregatorAdmin(std::string base_url, runtime::ClientOptions options)
    : base_url_(std::move(base_url)),
      client_(std::make_unique<runtime::HttpsClient>(std::move(options))) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

HttpsAggregatorAdmin::~HttpsAggregatorAdmin() = default;

kube::Json HttpsAggregatorAdmin::PutRound(const fl::RoundConfig& config) {
  const std::string what = "configure round " + config.round_id;
  runtime::ClientResponse response;
  try {
    response = client_->Send("PUT", base_url_ + RoundPath(config.round_id),
                             fl::RoundConfigToJson(config).dump(), "application/json", {});
  } catch (const std::exception& e) {
    throw AggregatorError(what + ": " + e.what());
  }
  if (response.status != 200 && response.status != 201) {
    throw AggregatorError(what + ": the aggregator answered " + std::to_string(response.status) +
                          ": " + ErrorText(response));
  }
  return ParseStatus(response, what);
}

std::optional<kube::Json> HttpsAggregatorAdmin::GetRound(const std::string& round) {
  const std::string what = "status of round " + round;
  runtime::ClientResponse response;
  try {
    response = client_->Get(base_url_ + RoundPath(round));
  } catch (const std::exception& e) {
    throw AggregatorError(what + ": " + e.what());
  }
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) {
    throw AggregatorError(what + ": the aggregator answered " + std::to_string(response.status) +
                          ": " + ErrorText(response));
  }
  return ParseStatus(response, what);
}

}  // namespace fedcrm::op
