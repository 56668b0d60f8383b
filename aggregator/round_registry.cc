#include "aggregator/round_registry.h"

#include "runtime/log.h"

namespace fedcrm::aggregator {

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
