// Test support: an aggregator's services on a temporary directory, a round
// config, and silos that run secure-aggregation stages against a RoundState
// through its public API (every message in its wire encoding).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "aggregator/aggregator_metrics.h"
#include "aggregator/optimizer_state_store.h"
#include "aggregator/release_log.h"
#include "aggregator/round_state.h"
#include "core/model/model_store.h"
#include "core/secagg/secagg_client.h"
#include "runtime/log.h"

namespace fedcrm::aggregator::testing {

inline nlohmann::json TestSchema() {
  return {
      {"label", {{"name", "churned"}, {"type", "binary"}, {"positive", "yes"}, {"negative", "no"}}},
      {"features",
       {{{"name", "tenure"}, {"type", "numeric"}},
        {{"name", "spend"}, {"type", "numeric"}},
        {{"name", "plan"}, {"type", "categorical"}, {"vocabulary", {"basic", "pro"}}}}}};
}

inline nlohmann::json TestConfig(const std::vector<std::string>& silos) {
  nlohmann::json roster = nlohmann::json::array();
  for (const auto& s : silos)
    roster.push_back({{"name", s}, {"epsilonBudget", 5.0}, {"delta", 1e-5}});
  return {{"modelLine", "churn-test"},
          {"task", "churn"},
          {"schema", TestSchema()},
          {"model", {{"type", "logistic"}, {"l2", 0.0}}},
          {"baseModel", nullptr},
          {"seed", 7},
          {"training", {{"localSteps", 20}, {"learningRate", 0.5}, {"batchSize", 0}}},
          {"privacy",
           {{"noiseMultiplier", 1.1}, {"clipNorm", 1.0}, {"samplingRate", 0.01}, {"delta", 1e-5}}},
          {"aggregation",
           {{"weighting", "records"},
            {"serverOptimizer", {{"type", "fedavg"}, {"learningRate", 1.0}}}}},
          {"secureAggregation",
           {{"threshold", 0},
            {"modulusBits", 32},
            {"quantization", {{"clip", 8.0}, {"levelsBits", 16}}},
            {"graph", {{"completeUpTo", 32}, {"degree", 0}}}}},
          {"silos", roster},
          {"deadlines", {{"phaseSeconds", 60}, {"maskedInputSeconds", 600}}}};
}

// Services on a fresh temporary directory with a clock the test moves.
class TestEnv {
 public:
  TestEnv() {
    runtime::Log().SetLevel(runtime::LogLevel::kError);
    dir_ =
        std::filesystem::temp_directory_path() /
        ("fedcrm-aggregator-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::make_unique<model::ModelStore>(dir_ / "models");
    release_log_ = std::make_unique<ReleaseLog>(dir_ / "releases.jsonl");
    optimizer_states_ = std::make_unique<OptimizerStateStore>(dir_ / "optimizer");
    now_ = std::make_shared<Clock::time_point>(Clock::now());
  }
  ~TestEnv() { std::filesystem::remove_all(dir_); }

  RoundServices services() {
    RoundServices s;
    s.store = store_.get();
    s.release_log = release_log_.get();
    s.optimizer_states = optimizer_states_.get();
    s.metrics = &metrics_;
    auto now = now_;
    s.clock = [now] { return *now; };
    return s;
  }
  void Advance(std::chrono::seconds by) { *now_ += by; }

  const std::filesystem::path& dir() const { return dir_; }
  model::ModelStore& store() { return *store_; }
  ReleaseLog& release_log() { return *release_log_; }
  OptimizerStateStore& optimizer_states() { return *optimizer_states_; }
  AggregatorMetrics& metrics() { return metrics_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<model::ModelStore> store_;
  std::unique_ptr<ReleaseLog> release_log_;
  std::unique_ptr<OptimizerStateStore> optimizer_states_;
  AggregatorMetrics metrics_;
  std::shared_ptr<Clock::time_point> now_;
};

inline std::span<const uint8_t> Span(const secagg::Bytes& bytes) { return bytes; }

// Runs one stage for `inputs` (silo -> encoded vector). Silos in `drop` stop
// before sending their masked input; the test clock then passes the
// deadline so the round goes on without them. The evaluation stage runs
// among the round's contributors, as the aggregator's status names them.
inline void RunStage(RoundState& round, Stage stage,
                     const std::map<std::string, std::vector<uint64_t>>& inputs,
                     const std::set<std::string>& drop, TestEnv& env) {
  secagg::RoundParameters params;
  params.round_id = round.id() + "/" + StageName(stage);
  params.roster = round.config().Roster();
  if (stage == Stage::kEvaluation) {
    params.roster = round.Status()["contributors"].get<std::vector<std::string>>();
  }
  params.threshold = round.config().threshold;
  params.graph = round.config().graph;
  params.modulus_bits = round.ModulusBits(stage);
  params.vector_length = round.VectorLength(stage);
  const secagg::Round secagg_round(params);
  std::map<std::string, std::unique_ptr<secagg::SecAggClient>> clients;
  for (const auto& [silo, input] : inputs) {
    clients[silo] = std::make_unique<secagg::SecAggClient>(secagg_round, silo);
    round.Accept(stage, Upload::kKeys, silo, Span(secagg::Encode(clients[silo]->advertise())));
  }
  const secagg::DecodeLimits limits{1 << 16, uint64_t{1} << 28, params.modulus_bits};
  for (auto& [silo, client] : clients) {
    auto keys = round.Fetch(stage, Download::kKeys, silo);
    ASSERT_TRUE(keys.has_value());
    const auto shares = client->OnKeyDirectory(secagg::DecodeKeyDirectory(*keys, limits));
    round.Accept(stage, Upload::kShares, silo, Span(secagg::Encode(shares)));
  }
  for (auto& [silo, client] : clients) {
    if (drop.count(silo)) continue;
    auto inbox = round.Fetch(stage, Download::kShares, silo);
    ASSERT_TRUE(inbox.has_value());
    const auto masked =
        client->OnShareInbox(secagg::DecodeShareInbox(*inbox, limits), inputs.at(silo));
    round.Accept(stage, Upload::kMaskedInput, silo,
                 Span(secagg::Encode(masked, params.modulus_bits)));
  }
  if (!drop.empty()) {
    EXPECT_FALSE(round.Fetch(stage, Download::kSurvivors, inputs.begin()->first).has_value());
    env.Advance(std::chrono::seconds(3600));
    round.Tick();
  }
  for (auto& [silo, client] : clients) {
    if (drop.count(silo)) continue;
    auto survivors = round.Fetch(stage, Download::kSurvivors, silo);
    ASSERT_TRUE(survivors.has_value());
    const auto unmask = client->OnSurvivors(secagg::DecodeSurvivorList(*survivors, limits));
    round.Accept(stage, Upload::kUnmask, silo, Span(secagg::Encode(unmask)));
  }
}

}  // namespace fedcrm::aggregator::testing
