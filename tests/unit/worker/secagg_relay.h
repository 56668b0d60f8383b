// Real SecAggServers behind a real HttpsServer, on the protocol's stage
// routes (/v1/rounds/{round}/{stage}/keys|shares|masked|survivors|unmask), so
// that the worker's network code runs against the genuine server state
// machine. Phases close when everyone answered or, checked on every request,
// when their deadline passed.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/secagg/secagg_server.h"
#include "runtime/https_server.h"

namespace fedcrm::worker::testing {

class SecAggRelay {
 public:
  explicit SecAggRelay(std::string round) : round_(std::move(round)) {}

  void AddStage(const std::string& stage, secagg::Round round, secagg::PhaseDeadlines deadlines);
  // Installs the stage routes on `server` (before it starts).
  void Install(runtime::HttpsServer& server);

  secagg::ServerPhase Phase(const std::string& stage) const;
  std::vector<uint64_t> Result(const std::string& stage) const;
  std::vector<std::string> Contributors(const std::string& stage) const;
  std::string Failure(const std::string& stage) const;

 private:
  runtime::Response Handle(const runtime::Request& request);
  runtime::Response Dispatch(secagg::SecAggServer& server, const std::string& method,
                             const std::string& what, const runtime::Request& request);

  std::string round_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<secagg::SecAggServer>> stages_;
};

}  // namespace fedcrm::worker::testing
