// Every round the aggregator knows, by id.
//
// PUT semantics (docs/protocol.md): configuring a new id creates the round;
// the same config again is accepted (so a coordinator may retry); a
// different config under a known id is a conflict. Configs are compared in
// their canonical form (RoundConfigToJson), so key order and defaults spelled
// out or not make no difference.
//
// Released rounds outlive the process through the release log: after a
// restart, a PUT of a released id is answered from its record (the same
// config: unchanged; another: conflict) and never trains or charges again.
//
// Tick() drives deadlines: the service calls it periodically (StartTicker
// runs a thread for that) and every active round closes a phase whose silos
// all answered or whose deadline passed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/release_log.h"
#include "aggregator/round_state.h"

namespace fedcrm::aggregator {

class RoundRegistry {
 public:
  enum class PutResult { kCreated, kUnchanged };

  explicit RoundRegistry(RoundServices services);
  ~RoundRegistry();  // stops the ticker
  RoundRegistry(const RoundRegistry&) = delete;
  RoundRegistry& operator=(const RoundRegistry&) = delete;

  // Creates the round or confirms an identical one. Throws RoundError
  // kConflict for a different config under a known id, and whatever
  // RoundState's constructor throws for a config it cannot run.
  PutResult Put(fl::RoundConfig config);
  // nullptr when unknown to this process.
  std::shared_ptr<RoundState> Find(const std::string& round_id) const;
  // The release record of `round_id` when it is not held in memory (released
  // by an earlier process); nullopt otherwise.
  std::optional<ReleaseRecord> FindReleased(const std::string& round_id) const;
  std::vector<std::string> Ids() const;

  void Tick();
  // A background thread calling Tick() every `period` until StopTicker().
  void StartTicker(std::chrono::milliseconds period);
  void StopTicker();

  const RoundServices& services() const { return services_; }

 private:
  RoundServices services_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<RoundState>> rounds_;
  // Serializes construction so two PUTs of one new id cannot both create it.
  std::mutex create_mu_;

  std::mutex ticker_mu_;
  std::condition_variable ticker_cv_;
  bool ticker_stop_ = false;
  std::thread ticker_;
};

// The round status (as RoundState::Status) of a round known only from its
// release record.
nlohmann::json ReleasedRoundStatus(const ReleaseRecord& record);

// Whether `identity` was on the roster of a released round.
bool OnReleasedRoster(const ReleaseRecord& record, const std::string& identity);

}  // namespace fedcrm::aggregator
