#include "tests/unit/worker/secagg_relay.h"

#include <span>

#include "core/secagg/protocol_messages.h"

namespace fedcrm::worker::testing {
namespace {

using secagg::ServerPhase;

std::span<const uint8_t> AsBytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

runtime::Response Bytes(const secagg::Bytes& bytes) {
  runtime::Response response;
  response.content_type = "application/octet-stream";
  response.body.assign(bytes.begin(), bytes.end());
  return response;
}

runtime::Response NotReady() {
  runtime::Response response;
  response.status = 202;
  response.body.clear();
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace

void SecAggRelay::AddStage(const std::string& stage, secagg::Round round,
                           secagg::PhaseDeadlines deadlines) {
  std::lock_guard<std::mutex> lock(mu_);
  stages_[stage] = std::make_unique<secagg::SecAggServer>(std::move(round), deadlines,
                                                          secagg::SecAggServer::Clock::now());
}

void SecAggRelay::Install(runtime::HttpsServer& server) {
  server.Handle("*", "/v1/rounds/" + round_,
                [this](const runtime::Request& request) { return Handle(request); });
}

runtime::Response SecAggRelay::Handle(const runtime::Request& request) {
  const std::string prefix = "/v1/rounds/" + round_ + "/";
  const std::string rest = request.path.substr(std::min(request.path.size(), prefix.size()));
  const size_t slash = rest.find('/');
  if (request.path.rfind(prefix, 0) != 0 || slash == std::string::npos) {
    return runtime::Response::Error(404, "no such route: " + request.path);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stages_.find(rest.substr(0, slash));
  if (it == stages_.end()) return runtime::Response::Error(404, "no such stage");
  secagg::SecAggServer& server = *it->second;
  server.Tick(secagg::SecAggServer::Clock::now());
  try {
    runtime::Response response = Dispatch(server, request.method, rest.substr(slash + 1), request);
    if (server.phase() != ServerPhase::kDone && server.phase() != ServerPhase::kFailed &&
        server.AllAnswered()) {
      server.ClosePhase(secagg::SecAggServer::Clock::now());
    }
    return response;
  } catch (const secagg::ProtocolError& e) {
    const int status = e.kind() == secagg::ProtocolError::Kind::kForbidden  ? 403
                       : e.kind() == secagg::ProtocolError::Kind::kConflict ? 409
                                                                            : 400;
    return runtime::Response::Error(status, e.what());
  }
}

runtime::Response SecAggRelay::Dispatch(secagg::SecAggServer& server, const std::string& method,
                                        const std::string& what, const runtime::Request& request) {
  const std::string& client = request.peer_identity;
  secagg::DecodeLimits limits;
  limits.max_clients = server.round().roster().size();
  limits.max_vector_length = server.round().vector_length();
  limits.modulus_bits = server.round().modulus_bits();
  const ServerPhase phase = server.phase();
  if (phase == ServerPhase::kFailed) {
    return runtime::Response::Error(409, "round failed: " + server.failure());
  }
  if (method == "POST") {
    if (what == "keys") {
      server.OnAdvertiseKeys(client, secagg::DecodeAdvertiseKeys(AsBytes(request.body)));
    } else if (what == "shares") {
      server.OnShareKeys(client, secagg::DecodeShareKeys(AsBytes(request.body), limits));
    } else if (what == "masked") {
      server.OnMaskedInput(client, secagg::DecodeMaskedInput(AsBytes(request.body), limits));
    } else if (what == "unmask") {
      server.OnUnmask(client, secagg::DecodeUnmaskShares(AsBytes(request.body), limits));
    } else {
      return runtime::Response::Error(404, "no such message: " + what);
    }
    return runtime::Response::Json(200, "{}");
  }
  if (what == "keys") {
    if (phase == ServerPhase::kAdvertiseKeys) return NotReady();
    return Bytes(secagg::Encode(server.KeysFor(client)));
  }
  if (what == "shares") {
    if (phase <= ServerPhase::kShareKeys) return NotReady();
    return Bytes(secagg::Encode(server.SharesFor(client)));
  }
  if (what == "survivors") {
    if (phase <= ServerPhase::kMaskedInput) return NotReady();
    return Bytes(secagg::Encode(server.Survivors()));
  }
  return runtime::Response::Error(404, "no such download: " + what);
}

secagg::ServerPhase SecAggRelay::Phase(const std::string& stage) const {
  std::lock_guard<std::mutex> lock(mu_);
  return stages_.at(stage)->phase();
}

std::vector<uint64_t> SecAggRelay::Result(const std::string& stage) const {
  std::lock_guard<std::mutex> lock(mu_);
  return stages_.at(stage)->result();
}

std::vector<std::string> SecAggRelay::Contributors(const std::string& stage) const {
  std::lock_guard<std::mutex> lock(mu_);
  return stages_.at(stage)->Contributors();
}

std::string SecAggRelay::Failure(const std::string& stage) const {
  std::lock_guard<std::mutex> lock(mu_);
  return stages_.at(stage)->failure();
}

}  // namespace fedcrm::worker::testing
