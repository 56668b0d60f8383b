// One federated round on the aggregator: its configuration, its secure-
// aggregation stages and, when the last stage completes, the new model.
//
// Stages (docs/protocol.md), each a SecAggServer over the round's roster with
// round id "<round>/<stage>":
//   statistics  only when the base model's card has no feature statistics.
//               Z_{2^64}, fixed point (kStatisticsFractionalBits). Vector:
//               FeatureStatistics::ToVector() of the numeric features
//               (3·k values: counts, sums, sums of squares) followed by the
//               silo's row count, so length 3·k + 1.
//   training    Z_{2^b} with b from the round's quantization. Vector: the
//               quantized [w·Δ, w] (model parameters + 1).
//   evaluation  only when the config sets evaluation.holdoutFraction. Z_{2^64},
//               fixed point. Roster: the training stage's contributors.
//               Vector: model::EvaluationSums of the released model on each
//               silo's held-out rows.
// Each stage starts when the one before it completes, so its deadlines count
// from then.
//
// On training's completion the summed update is dequantized, divided by the
// summed weight (so dropouts re-normalize exactly), applied by the line's
// server optimizer and stored as a new model; the release is recorded in the
// release log before anything reports the model. Without an evaluation stage
// the round then "succeeded". With one, the round reports the model and runs
// the evaluation; it succeeds when the evaluation completes or fails (the
// model is released either way: "evaluationFailure" says why metrics are
// missing). Every failure before the release sets "failed" with a reason; a
// failed round stays failed.
//
// Thread-safe: one mutex per round serializes its messages.
#pragma once

#include <Eigen/Core>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/data/feature_statistics.h"
#include "core/fl/round_config.h"
#include "core/model/model_card.h"
#include "core/secagg/protocol_messages.h"
#include "core/secagg/secagg_server.h"

namespace fedcrm::model {
class ModelStore;
}
namespace fedcrm::fl {
class ServerOptimizer;
}

namespace fedcrm::aggregator {

class AggregatorMetrics;
class OptimizerStateStore;
class ReleaseLog;

using Clock = std::chrono::steady_clock;

// What a round needs from the service around it. Pointers are borrowed and
// must outlive the round; `metrics` may be null; a null `clock` reads
// Clock::now() (tests substitute a fake one to pass deadlines).
struct RoundServices {
  model::ModelStore* store = nullptr;
  ReleaseLog* release_log = nullptr;
  OptimizerStateStore* optimizer_states = nullptr;
  AggregatorMetrics* metrics = nullptr;
  std::function<Clock::time_point()> clock;
};

enum class Stage { kStatistics, kTraining, kEvaluation };
const char* StageName(Stage stage);
// "statistics" | "training" | "evaluation"; nullopt otherwise.
std::optional<Stage> ParseStage(const std::string& text);

// The protocol messages a silo uploads and downloads (docs/protocol.md).
enum class Upload { kKeys, kShares, kMaskedInput, kUnmask };
enum class Download { kKeys, kShares, kSurvivors };

// A request the round cannot serve, beyond the SecAggServer's own
// ProtocolErrors: an unknown stage (kNotFound), a failed or finished round
// (kConflict).
class RoundError : public Error {
 public:
  enum class Kind { kNotFound, kConflict };
  RoundError(Kind kind, const std::string& message) : Error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class RoundState {
 public:
  // Loads the base model from the store (or builds a fresh one from the
  // config's model and seed and stores it) and starts the first stage.
  // Throws fedcrm::ConfigError naming the field for a config the aggregator
  // cannot run (unknown base model, bad model line) and fedcrm::DataError
  // for a corrupt stored model.
  RoundState(fl::RoundConfig config, RoundServices services);

  const fl::RoundConfig& config() const { return config_; }
  const std::string& id() const { return config_.round_id; }
  // The digest of the model the round starts from.
  const std::string& base_model() const { return base_digest_; }

  // {"round", "phase", "stages", "baseModel", "model", "contributors",
  //  "dropped", "failure", "evaluation", "evaluationFailure", "vectorLength",
  //  "vectorLengths", "modulusBits", "config"}; see docs/protocol.md.
  nlohmann::json Status() const;
  bool OnRoster(const std::string& silo) const;
  bool HasStage(Stage stage) const;
  bool Finished() const;
  bool Succeeded() const;
  // The stored model's digest once the round succeeded.
  std::optional<std::string> model_digest() const;
  uint64_t VectorLength(Stage stage) const;
  int ModulusBits(Stage stage) const;

  // Decodes and accepts one silo's message. Throws secagg::DecodeError (or
  // another SecAggError) for a malformed body, secagg::ProtocolError for one
  // out of place, RoundError for an unknown stage or a finished round.
  void Accept(Stage stage, Upload what, const std::string& silo, std::span<const uint8_t> body);
  // The encoded download, or nullopt while the phase that produces it is
  // still open. Throws as Accept.
  std::optional<secagg::Bytes> Fetch(Stage stage, Download what, const std::string& silo);
  // {"statistics": FeatureStatistics::ToJson(), "rows": N} once known (N is
  // null when a base model's card did not record it); nullopt before.
  std::optional<nlohmann::json> StatisticsResult() const;

  // Closes the current phase when every expected silo answered or its
  // deadline passed, and moves the round on.
  void Tick();

 private:
  struct StageState {
    Stage stage = Stage::kTraining;
    uint64_t vector_length = 0;
    int modulus_bits = 64;
    std::vector<std::string> roster;             // set when the stage starts
    std::optional<secagg::SecAggServer> server;  // once started
    Clock::time_point phase_started{};
  };

  Clock::time_point Now() const;
  void LoadBaseModel();
  StageState* Find(Stage stage);
  const StageState* Find(Stage stage) const;
  StageState& Active(Stage stage);
  void Start(StageState& stage, std::vector<std::string> roster, Clock::time_point now);
  // Closes the phase if it is complete or overdue, then follows the consequences.
  void Advance(StageState& stage, bool deadline_only);
  void OnPhaseClosed(StageState& stage, secagg::ServerPhase closed, Clock::time_point now);
  void CompleteStatistics(const StageState& stage);
  void CompleteTraining(const StageState& stage, Clock::time_point now);
  // Stores the new model and records its release; returns its digest.
  std::string Release(const Eigen::VectorXd& params, const fl::ServerOptimizer& optimizer);
  void CompleteEvaluation(const StageState& stage);
  void Succeed(const std::string& evaluation_failure);
  void Fail(const std::string& reason, const std::vector<std::string>& dropped);
  std::string Phase() const;

  fl::RoundConfig config_;
  RoundServices services_;
  mutable std::mutex mu_;

  std::string base_digest_;
  std::unique_ptr<model::Model> base_model_;
  model::ModelCard base_card_;
  std::vector<std::string> numeric_features_;
  std::vector<StageState> stages_;

  std::optional<data::FeatureStatistics> statistics_;
  std::optional<int64_t> federation_rows_;

  enum class Outcome { kRunning, kSucceeded, kFailed };
  Outcome outcome_ = Outcome::kRunning;
  std::string failure_;
  std::string model_digest_;  // once released
  std::optional<nlohmann::json> evaluation_;
  std::string evaluation_failure_;
  std::vector<std::string> contributors_;
  std::vector<std::string> dropped_;
};

}  // namespace fedcrm::aggregator
