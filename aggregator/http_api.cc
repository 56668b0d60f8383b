#include "aggregator/http_api.h"

#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "aggregator/aggregator_metrics.h"
#include "aggregator/round_registry.h"
#include "core/common/error.h"
#include "core/fl/round_config.h"
#include "core/model/model_store.h"
#include "core/secagg/secagg_error.h"
#include "runtime/https_server.h"
#include "runtime/log.h"

namespace fedcrm::aggregator {
namespace {

using runtime::Request;
using runtime::Response;

constexpr size_t kMaxIdentifierBytes = 253;
constexpr char kOctetStream[] = "application/octet-stream";

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    const size_t end = path.find('/', start);
    const size_t stop = end == std::string::npos ? path.size() : end;
    out.push_back(path.substr(start, stop - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// Round ids appear in metrics, logs and SecAgg round ids: keep them plain.
bool IsValidRoundId(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdentifierBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Response Forbidden(const std::string& message) { return Response::Error(403, message); }

int StatusOf(secagg::ProtocolError::Kind kind) {
  switch (kind) {
    case secagg::ProtocolError::Kind::kInvalid:
      return 400;
    case secagg::ProtocolError::Kind::kConflict:
      return 409;
    case secagg::ProtocolError::Kind::kForbidden:
      return 403;
  }
  return 400;
}

std::span<const uint8_t> BodyBytes(const Request& request) {
  return {reinterpret_cast<const uint8_t*>(request.body.data()), request.body.size()};
}

}  // namespace

HttpApi::HttpApi(RoundRegistry* registry, model::ModelStore* store, AggregatorMetrics* metrics,
                 HttpApiOptions options)
    : registry_(registry), store_(store), metrics_(metrics), options_(std::move(options)) {}

void HttpApi::Register(runtime::HttpsServer& server) const {
  server.Handle("*", "/v1", [this](const Request& request) { return Handle(request); });
}

Response HttpApi::Handle(const Request& request) const {
  Response response;
  try {
    response = Dispatch(request);
  } catch (const RoundError& e) {
    response = Response::Error(e.kind() == RoundError::Kind::kNotFound ? 404 : 409, e.what());
  } catch (const secagg::ProtocolError& e) {
    response = Response::Error(StatusOf(e.kind()), e.what());
  } catch (const Error& e) {
    // Decode errors, invalid configs, malformed digests: the caller's input.
    response = Response::Error(400, e.what());
  } catch (const nlohmann::json::exception& e) {
    response = Response::Error(400, std::string("request body: ") + e.what());
  } catch (const std::exception& e) {
    runtime::Log().Error("request failed",
                         {{"method", request.method}, {"path", request.path}, {"error", e.what()}});
    response = Response::Error(500, "internal error");
  }
  if (metrics_ != nullptr) metrics_->Request(response.status);
  if (response.status == 403) {
    runtime::Log().Warn("request refused", {{"method", request.method},
                                            {"path", request.path},
                                            {"identity", request.peer_identity},
                                            {"remote", request.remote_address}});
  }
  return response;
}

Response HttpApi::Dispatch(const Request& request) const {
  if (request.peer_identity.empty()) return Forbidden("a client certificate is required");
  const std::vector<std::string> s = Segments(request.path);
  if (s.size() == 3 && s[0] == "v1" && s[1] == "models" && request.method == "GET") {
    return GetModel(request, s[2]);
  }
  if (s.size() < 3 || s[0] != "v1" || s[1] != "rounds") {
    return Response::Error(404, "no such resource: " + request.path);
  }
  const std::string& round = s[2];
  if (!IsValidRoundId(round)) {
    return Response::Error(
        s.size() == 3 && request.method == "PUT" ? 400 : 404,
        "round id '" + round.substr(0, 64) + "': expected 1-253 characters of [A-Za-z0-9._-]");
  }
  if (s.size() == 3) {
    if (request.method == "PUT") return PutRound(request, round);
    if (request.method == "GET") return GetRound(request, round);
    return Response::Error(405, request.method + " is not allowed on a round");
  }
  if (s.size() == 5) return StageRequest(request, round, s[3], s[4]);
  return Response::Error(404, "no such resource: " + request.path);
}

Response HttpApi::PutRound(const Request& request, const std::string& round) const {
  if (request.peer_identity != options_.coordinator_identity) {
    return Forbidden("only the coordinator may configure rounds, not '" + request.peer_identity +
                     "'");
  }
  const nlohmann::json body = nlohmann::json::parse(request.body);
  fl::RoundConfig config = fl::ParseRoundConfig(body, round);
  const RoundRegistry::PutResult result = registry_->Put(std::move(config));
  const int code = result == RoundRegistry::PutResult::kCreated ? 201 : 200;
  if (const auto state = registry_->Find(round))
    return Response::Json(code, state->Status().dump());
  // Released by an earlier process: answered from the release log.
  return Response::Json(code, ReleasedRoundStatus(*registry_->FindReleased(round)).dump());
}

Response HttpApi::GetRound(const Request& request, const std::string& round) const {
  const auto state = registry_->Find(round);
  if (state == nullptr) return GetReleasedRound(request, round);
  if (request.peer_identity != options_.coordinator_identity &&
      !state->OnRoster(request.peer_identity)) {
    return Forbidden("'" + request.peer_identity + "' is not on the roster of round " + round);
  }
  return Response::Json(200, state->Status().dump());
}

Response HttpApi::GetReleasedRound(const Request& request, const std::string& round) const {
  const std::optional<ReleaseRecord> released = registry_->FindReleased(round);
  if (!released) return Response::Error(404, "no round " + round);
  if (request.peer_identity != options_.coordinator_identity &&
      !OnReleasedRoster(*released, request.peer_identity)) {
    return Forbidden("'" + request.peer_identity + "' is not on the roster of round " + round);
  }
  return Response::Json(200, ReleasedRoundStatus(*released).dump());
}

Response HttpApi::GetModel(const Request& request, const std::string& digest) const {
  (void)request;  // any verified certificate may download models
  if (!model::ModelStore::IsValidDigest(digest)) {
    return Response::Error(400, "model digest '" + digest.substr(0, 80) +
                                    "': expected sha256: and 64 lowercase hex digits");
  }
  std::optional<std::string> bytes = store_->Get(digest);
  if (!bytes) return Response::Error(404, "no model " + digest);
  Response response;
  response.status = 200;
  response.content_type = kOctetStream;
  response.body = std::move(*bytes);
  return response;
}

Response HttpApi::StageRequest(const Request& request, const std::string& round,
                               const std::string& stage_name, const std::string& what) const {
  const auto state = registry_->Find(round);
  const std::string& silo = request.peer_identity;
  if (state == nullptr) {
    if (registry_->FindReleased(round)) {
      return Response::Error(
          409, "round " + round + " was already released; it takes no more " + "protocol messages");
    }
    return Response::Error(404, "no round " + round);
  }
  if (!state->OnRoster(silo)) {
    return Forbidden("'" + silo + "' is not on the roster of round " + round);
  }
  const std::optional<Stage> stage = ParseStage(stage_name);
  if (!stage) return Response::Error(404, "no stage '" + stage_name.substr(0, 64) + "'");

  if (request.method == "POST") {
    std::optional<Upload> upload;
    if (what == "keys") upload = Upload::kKeys;
    if (what == "shares") upload = Upload::kShares;
    if (what == "masked") upload = Upload::kMaskedInput;
    if (what == "unmask") upload = Upload::kUnmask;
    if (!upload) return Response::Error(404, "nothing to POST at " + request.path);
    if (metrics_ != nullptr) metrics_->BytesReceived(request.body.size());
    state->Accept(*stage, *upload, silo, BodyBytes(request));
    return Response::Json(200, R"({"accepted":true})");
  }
  if (request.method != "GET") {
    return Response::Error(405, request.method + " is not allowed on " + request.path);
  }
  const auto not_ready = [&] {
    Response r;
    r.status = 202;
    r.headers.push_back({"Retry-After", std::to_string(options_.retry_after_seconds)});
    return r;
  };
  if (what == "result") {
    if (*stage != Stage::kStatistics) return Response::Error(404, "no result for " + stage_name);
    const auto result = state->StatisticsResult();
    return result ? Response::Json(200, result->dump()) : not_ready();
  }
  std::optional<Download> download;
  if (what == "keys") download = Download::kKeys;
  if (what == "shares") download = Download::kShares;
  if (what == "survivors") download = Download::kSurvivors;
  if (!download) return Response::Error(404, "nothing to GET at " + request.path);
  std::optional<secagg::Bytes> bytes = state->Fetch(*stage, *download, silo);
  if (!bytes) return not_ready();
  Response response;
  response.status = 200;
  response.content_type = kOctetStream;
  response.body.assign(bytes->begin(), bytes->end());
  return response;
}

}  // namespace fedcrm::aggregator
