// The aggregator's REST API (/v1, docs/protocol.md) on top of the round
// registry and the model store. Handlers are plain functions of a
// runtime::Request, so tests call them without a socket.
//
// Authorization uses only Request::peer_identity (the verified client
// certificate): the coordinator identity may configure rounds; a silo may
// speak only in rounds whose roster names it, and always as itself (the
// paths carry no silo name). Status mapping: RoundError and
// secagg::ProtocolError kinds, malformed bodies 400, not-ready downloads 202
// with Retry-After, unknown rounds and models 404.
#pragma once

#include <string>

#include "runtime/http_message.h"

namespace fedcrm::model {
class ModelStore;
}
namespace fedcrm::runtime {
class HttpsServer;
}

namespace fedcrm::aggregator {

class AggregatorMetrics;
class RoundRegistry;

struct HttpApiOptions {
  std::string coordinator_identity = "fedcrm-operator";
  int retry_after_seconds = 1;
};

class HttpApi {
 public:
  // `metrics` may be null.
  HttpApi(RoundRegistry* registry, model::ModelStore* store, AggregatorMetrics* metrics,
          HttpApiOptions options);

  // Serves one request under /v1; never throws.
  runtime::Response Handle(const runtime::Request& request) const;
  // Routes /v1 of `server` to Handle().
  void Register(runtime::HttpsServer& server) const;

 private:
  runtime::Response Dispatch(const runtime::Request& request) const;
  runtime::Response PutRound(const runtime::Request& request, const std::string& round) const;
  runtime::Response GetRound(const runtime::Request& request, const std::string& round) const;
  // A round released by an earlier process, answered from the release log.
  runtime::Response GetReleasedRound(const runtime::Request& request,
                                     const std::string& round) const;
  runtime::Response GetModel(const runtime::Request& request, const std::string& digest) const;
  runtime::Response StageRequest(const runtime::Request& request, const std::string& round,
                                 const std::string& stage, const std::string& what) const;

  RoundRegistry* registry_;
  model::ModelStore* store_;
  AggregatorMetrics* metrics_;
  HttpApiOptions options_;
};

}  // namespace fedcrm::aggregator
