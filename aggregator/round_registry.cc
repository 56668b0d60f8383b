#include "aggregator/round_registry.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/log.h"

namespace fedcrm::aggregator {
namespace {

// A re-sent PUT of a released round is fine; anything else under its id
// would train and charge a second time under one name.
void CheckSameAsReleased(const ReleaseRecord& released, const fl::RoundConfig& config) {
  if (released.config == nullptr) {
    throw RoundError(RoundError::Kind::kConflict,
                     "round " + config.round_id + " was already released (model " +
                         released.digest + ") and its record predates stored configurations; " +
                         "a new round needs a new id");
  }
  if (*released.config != fl::RoundConfigToJson(config)) {
    throw RoundError(RoundError::Kind::kConflict,
                     "round " + config.round_id + " was already released (model " +
                         released.digest + ") with a different configuration; " +
                         "a changed round needs a new id");
  }
}

}  // namespace

RoundRegistry::RoundRegistry(RoundServices services) : services_(std::move(services)) {}

RoundRegistry::~RoundRegistry() { StopTicker(); }

RoundRegistry::PutResult RoundRegistry::Put(fl::RoundConfig config) {
  std::lock_guard<std::mutex> create_lock(create_mu_);
  if (std::shared_ptr<RoundState> existing = Find(config.round_id)) {
    if (fl::RoundConfigToJson(existing->config()) != fl::RoundConfigToJson(config)) {
      throw RoundError(RoundError::Kind::kConflict,
                       "round " + config.round_id +
                           " is already configured differently; a changed round needs a new id");
    }
    return PutResult::kUnchanged;
  }
  if (const std::optional<ReleaseRecord> released = FindReleased(config.round_id)) {
    CheckSameAsReleased(*released, config);
    return PutResult::kUnchanged;
  }
  // Outside mu_: building the round may write a fresh base model to disk,
  // and requests for other rounds should not wait for that.
  const std::string id = config.round_id;
  auto round = std::make_shared<RoundState>(std::move(config), services_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    rounds_.emplace(id, round);
  }
  runtime::Log().Info("round configured", {{"round", id}, {"baseModel", round->base_model()}});
  return PutResult::kCreated;
}

std::shared_ptr<RoundState> RoundRegistry::Find(const std::string& round_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rounds_.find(round_id);
  return it == rounds_.end() ? nullptr : it->second;
}

std::optional<ReleaseRecord> RoundRegistry::FindReleased(const std::string& round_id) const {
  if (services_.release_log == nullptr || Find(round_id) != nullptr) return std::nullopt;
  return services_.release_log->Find(round_id);
}

nlohmann::json ReleasedRoundStatus(const ReleaseRecord& record) {
  nlohmann::json contributors = nlohmann::json::array();
  std::vector<std::string> names;
  for (const SiloCharge& silo : record.silos) names.push_back(silo.silo);
  std::sort(names.begin(), names.end());  // as RoundState reports them
  for (const std::string& name : names) contributors.push_back(name);
  nlohmann::json status = {{"round", record.round},
                           {"phase", "succeeded"},
                           {"baseModel", record.base_model},
                           {"model", record.digest},
                           {"contributors", std::move(contributors)},
                           {"dropped", record.dropped},
                           {"failure", nullptr},
                           {"releasedAt", record.time},
                           {"restoredFromReleaseLog", true}};
  if (record.config) status["config"] = *record.config;
  status["evaluation"] = record.evaluation ? *record.evaluation : nlohmann::json(nullptr);
  return status;
}

bool OnReleasedRoster(const ReleaseRecord& record, const std::string& identity) {
  if (record.config != nullptr && record.config->contains("silos")) {
    for (const auto& silo : (*record.config)["silos"]) {
      if (silo.is_object() && silo.value("name", "") == identity) return true;
    }
    return false;
  }
  for (const SiloCharge& silo : record.silos) {
    if (silo.silo == identity) return true;
  }
  return std::find(record.dropped.begin(), record.dropped.end(), identity) != record.dropped.end();
}

std::vector<std::string> RoundRegistry::Ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, round] : rounds_) out.push_back(id);
  return out;
}

void RoundRegistry::Tick() {
  std::vector<std::shared_ptr<RoundState>> rounds;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, round] : rounds_) rounds.push_back(round);
  }
  for (const auto& round : rounds) {
    try {
      if (!round->Finished()) round->Tick();
    } catch (const std::exception& e) {
      // The ticker must outlive any one round's trouble.
      runtime::Log().Error("round tick failed", {{"round", round->id()}, {"error", e.what()}});
    }
  }
}

void RoundRegistry::StartTicker(std::chrono::milliseconds period) {
  std::lock_guard<std::mutex> lock(ticker_mu_);
  if (ticker_.joinable()) return;
  ticker_stop_ = false;
  ticker_ = std::thread([this, period] {
    std::unique_lock<std::mutex> lock(ticker_mu_);
    while (!ticker_cv_.wait_for(lock, period, [this] { return ticker_stop_; })) {
      lock.unlock();
      Tick();
      lock.lock();
    }
  });
}

void RoundRegistry::StopTicker() {
  std::thread ticker;
  {
    std::lock_guard<std::mutex> lock(ticker_mu_);
    ticker_stop_ = true;
    ticker = std::move(ticker_);
  }
  ticker_cv_.notify_all();
  if (ticker.joinable()) ticker.join();
}

}  // namespace fedcrm::aggregator
