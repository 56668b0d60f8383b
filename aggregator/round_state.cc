#include "aggregator/round_state.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "aggregator/aggregator_metrics.h"
#include "aggregator/optimizer_state_store.h"
#include "aggregator/release_log.h"
#include "core/data/feature_schema.h"
#include "core/fl/server_optimizer.h"
#include "core/model/evaluation_sums.h"
#include "core/model/model_file.h"
#include "core/model/model_store.h"
#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"
#include "core/secagg/byte_codec.h"
#include "core/secagg/fixed_point.h"
#include "core/secagg/quantization.h"
#include "runtime/log.h"

namespace fedcrm::aggregator {
namespace {

using nlohmann::json;
using secagg::ServerPhase;

constexpr int kStatisticsModulusBits = 64;

bool Open(ServerPhase phase) {
  return phase != ServerPhase::kDone && phase != ServerPhase::kFailed;
}

std::vector<std::string> Minus(const std::vector<std::string>& all,
                               const std::vector<std::string>& some) {
  std::vector<std::string> out;
  for (const auto& name : all) {
    if (std::find(some.begin(), some.end(), name) == some.end()) out.push_back(name);
  }
  return out;
}

std::string What(const std::exception& e) { return e.what(); }

}  // namespace

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kStatistics:
      return "statistics";
    case Stage::kTraining:
      return "training";
    case Stage::kEvaluation:
      return "evaluation";
  }
  return "unknown";
}

std::optional<Stage> ParseStage(const std::string& text) {
  if (text == "statistics") return Stage::kStatistics;
  if (text == "training") return Stage::kTraining;
  if (text == "evaluation") return Stage::kEvaluation;
  return std::nullopt;
}

RoundState::RoundState(fl::RoundConfig config, RoundServices services)
    : config_(std::move(config)), services_(std::move(services)) {
  // Validates the line name (it names a file) and the saved state up front,
  // so a bad one fails the PUT rather than the round's last step.
  services_.optimizer_states->Load(config_.model_line);
  numeric_features_ =
      data::FeatureSchema::FromJson(config_.schema, "round config: schema").NumericFeatureNames();
  LoadBaseModel();

  if (base_card_.feature_statistics.is_null() || base_card_.feature_statistics.empty()) {
    StageState statistics;
    statistics.stage = Stage::kStatistics;
    statistics.vector_length = 3 * numeric_features_.size() + 1;
    statistics.modulus_bits = kStatisticsModulusBits;
    stages_.push_back(std::move(statistics));
  } else {
    statistics_ = data::FeatureStatistics::FromJson(
        base_card_.feature_statistics, "model " + base_digest_ + ": featureStatistics");
    const json& rows =
        base_card_.lineage.is_object() && base_card_.lineage.contains("federationRows")
            ? base_card_.lineage["federationRows"]
            : json();
    if (rows.is_number_integer()) federation_rows_ = rows.get<int64_t>();
  }
  StageState training;
  training.stage = Stage::kTraining;
  training.vector_length = static_cast<uint64_t>(base_model_->NumParameters()) + 1;
  training.modulus_bits = config_.quantization.modulus_bits;
  stages_.push_back(std::move(training));
  if (config_.evaluation_holdout > 0) {
    StageState evaluation;
    evaluation.stage = Stage::kEvaluation;
    evaluation.vector_length = model::EvaluationSums::VectorLength(base_model_->spec().num_classes);
    evaluation.modulus_bits = kStatisticsModulusBits;
    stages_.push_back(std::move(evaluation));
  }
  Start(stages_.front(), config_.Roster(), Now());
}

Clock::time_point RoundState::Now() const {
  return services_.clock ? services_.clock() : Clock::now();
}

void RoundState::LoadBaseModel() {
  std::string bytes;
  if (config_.base_model) {
    std::optional<std::string> stored;
    try {
      stored = services_.store->Get(*config_.base_model);
    } catch (const ConfigError& e) {
      throw ConfigError("round config: baseModel", e.problem());
    }
    if (!stored) {
      throw ConfigError("round config: baseModel",
                        "'" + *config_.base_model + "' is not in the aggregator's model store");
    }
    bytes = std::move(*stored);
  } else {
    // A fresh model, deterministic from the seed, stored so that workers can
    // download it by digest like any other base model.
    const std::unique_ptr<model::Model> fresh = model::MakeModel(config_.model, config_.seed);
    model::ModelCard card;
    card.spec = fresh->spec();
    card.schema = config_.schema;
    card.task = config_.task;
    card.lineage = {
        {"modelLine", config_.model_line}, {"origin", "initialized"}, {"seed", config_.seed}};
    bytes = model::SerializeModel(*fresh, card);
    services_.store->Put(bytes);
  }
  model::LoadedModel loaded = model::ParseModel(bytes, "base model");
  base_digest_ = loaded.digest;
  base_model_ = std::move(loaded.model);
  base_card_ = std::move(loaded.card);
}

RoundState::StageState* RoundState::Find(Stage stage) {
  for (StageState& s : stages_) {
    if (s.stage == stage) return &s;
  }
  return nullptr;
}

const RoundState::StageState* RoundState::Find(Stage stage) const {
  return const_cast<RoundState*>(this)->Find(stage);
}

RoundState::StageState& RoundState::Active(Stage stage) {
  StageState* s = Find(stage);
  if (s == nullptr) {
    throw RoundError(RoundError::Kind::kNotFound,
                     "round " + id() + " has no " + StageName(stage) + " stage");
  }
  if (outcome_ == Outcome::kFailed) {
    throw RoundError(RoundError::Kind::kConflict, "round " + id() + " failed: " + failure_);
  }
  return *s;
}

void RoundState::Start(StageState& stage, std::vector<std::string> roster, Clock::time_point now) {
  secagg::RoundParameters params;
  params.round_id = id() + "/" + StageName(stage.stage);
  stage.roster = roster;
  params.roster = std::move(roster);
  params.threshold = config_.threshold;
  params.graph = config_.graph;
  params.modulus_bits = stage.modulus_bits;
  params.vector_length = stage.vector_length;
  secagg::PhaseDeadlines deadlines;
  const std::chrono::milliseconds phase(int64_t{config_.phase_seconds} * 1000);
  deadlines.advertise_keys = deadlines.share_keys = deadlines.unmask = phase;
  // Silos train between downloading their shares and sending their input.
  deadlines.masked_input =
      stage.stage == Stage::kTraining
          ? std::chrono::milliseconds(int64_t{config_.masked_input_seconds} * 1000)
          : phase;
  stage.server.emplace(secagg::Round(std::move(params)), deadlines, now);
  stage.phase_started = now;
}

bool RoundState::OnRoster(const std::string& silo) const {
  for (const auto& s : config_.silos) {
    if (s.name == silo) return true;
  }
  return false;
}

bool RoundState::HasStage(Stage stage) const { return Find(stage) != nullptr; }

bool RoundState::Finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  return outcome_ != Outcome::kRunning;
}

bool RoundState::Succeeded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return outcome_ == Outcome::kSucceeded;
}

std::optional<std::string> RoundState::model_digest() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (outcome_ != Outcome::kSucceeded) return std::nullopt;
  return model_digest_;
}

uint64_t RoundState::VectorLength(Stage stage) const {
  const StageState* s = Find(stage);
  return s ? s->vector_length : 0;
}

int RoundState::ModulusBits(Stage stage) const {
  const StageState* s = Find(stage);
  return s ? s->modulus_bits : 0;
}

void RoundState::Accept(Stage stage, Upload what, const std::string& silo,
                        std::span<const uint8_t> body) {
  std::lock_guard<std::mutex> lock(mu_);
  StageState& s = Active(stage);
  if (!s.server) {
    throw secagg::ProtocolError(
        secagg::ProtocolError::Kind::kConflict, "round " + id(),
        std::string("the ") + StageName(stage) + " stage has not started yet");
  }
  secagg::DecodeLimits limits;
  limits.max_clients = config_.silos.size();
  limits.max_vector_length = s.vector_length;
  limits.modulus_bits = s.modulus_bits;
  secagg::SecAggServer& server = *s.server;
  switch (what) {
    case Upload::kKeys:
      server.OnAdvertiseKeys(silo, secagg::DecodeAdvertiseKeys(body));
      break;
    case Upload::kShares:
      server.OnShareKeys(silo, secagg::DecodeShareKeys(body, limits));
      break;
    case Upload::kMaskedInput:
      server.OnMaskedInput(silo, secagg::DecodeMaskedInput(body, limits));
      break;
    case Upload::kUnmask:
      server.OnUnmask(silo, secagg::DecodeUnmaskShares(body, limits));
      break;
  }
  Advance(s, /*deadline_only=*/false);
}

std::optional<secagg::Bytes> RoundState::Fetch(Stage stage, Download what,
                                               const std::string& silo) {
  std::lock_guard<std::mutex> lock(mu_);
  StageState& s = Active(stage);
  if (!s.server) return std::nullopt;  // the stage waits for the previous one
  const secagg::SecAggServer& server = *s.server;
  const ServerPhase phase = server.phase();
  // A download is ready once the phase that produces it has closed; a
  // failed stage falls through to the server, which explains the failure.
  switch (what) {
    case Download::kKeys:
      if (phase == ServerPhase::kAdvertiseKeys) return std::nullopt;
      return secagg::Encode(server.KeysFor(silo));
    case Download::kShares:
      if (phase == ServerPhase::kAdvertiseKeys || phase == ServerPhase::kShareKeys) {
        return std::nullopt;
      }
      return secagg::Encode(server.SharesFor(silo));
    case Download::kSurvivors:
      if (phase == ServerPhase::kAdvertiseKeys || phase == ServerPhase::kShareKeys ||
          phase == ServerPhase::kMaskedInput) {
        return std::nullopt;
      }
      return secagg::Encode(server.Survivors());
  }
  return std::nullopt;
}

std::optional<json> RoundState::StatisticsResult() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!statistics_) {
    if (outcome_ == Outcome::kFailed) {
      throw RoundError(RoundError::Kind::kConflict, "round " + id() + " failed: " + failure_);
    }
    return std::nullopt;
  }
  return json{{"statistics", statistics_->ToJson()},
              {"rows", federation_rows_ ? json(*federation_rows_) : json(nullptr)}};
}

void RoundState::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  if (outcome_ != Outcome::kRunning) return;
  for (StageState& s : stages_) {
    if (s.server && Open(s.server->phase())) {
      Advance(s, /*deadline_only=*/false);
      return;
    }
  }
}

void RoundState::Advance(StageState& stage, bool deadline_only) {
  secagg::SecAggServer& server = *stage.server;
  const Clock::time_point now = Now();
  // Each closing may complete the next phase at once (e.g. every silo
  // already failed to appear), so keep going while something changes.
  while (Open(server.phase())) {
    const ServerPhase before = server.phase();
    if (!deadline_only && server.AllAnswered()) {
      server.ClosePhase(now);
    } else if (!server.Tick(now)) {
      break;
    }
    OnPhaseClosed(stage, before, now);
    if (server.phase() == before) break;
  }
}

void RoundState::OnPhaseClosed(StageState& stage, ServerPhase closed, Clock::time_point now) {
  const secagg::SecAggServer& server = *stage.server;
  const std::string label = std::string(StageName(stage.stage)) + "/" + secagg::PhaseName(closed);
  if (services_.metrics != nullptr) {
    services_.metrics->PhaseClosed(
        label, std::chrono::duration<double>(now - stage.phase_started).count());
  }
  stage.phase_started = now;
  runtime::Log().Info(
      "phase closed",
      {{"round", id()}, {"phase", label}, {"next", secagg::PhaseName(server.phase())}});
  if (server.phase() == ServerPhase::kFailed) {
    Fail(std::string(StageName(stage.stage)) + " stage: " + server.failure(), server.Dropped());
    return;
  }
  if (server.phase() != ServerPhase::kDone) return;
  try {
    switch (stage.stage) {
      case Stage::kStatistics:
        CompleteStatistics(stage);
        Start(*Find(Stage::kTraining), config_.Roster(), now);
        break;
      case Stage::kTraining:
        CompleteTraining(stage, now);
        break;
      case Stage::kEvaluation:
        CompleteEvaluation(stage);
        break;
    }
  } catch (const std::exception& e) {
    Fail(std::string(StageName(stage.stage)) + " stage: " + What(e), server.Dropped());
  }
}

void RoundState::CompleteStatistics(const StageState& stage) {
  const std::vector<double> sum =
      secagg::DecodeFixedPoint(stage.server->result(), secagg::kStatisticsFractionalBits);
  const Eigen::Index k = static_cast<Eigen::Index>(numeric_features_.size());
  Eigen::VectorXd vector(3 * k);
  for (Eigen::Index i = 0; i < 3 * k; ++i) vector[i] = sum[static_cast<size_t>(i)];
  statistics_ = data::FeatureStatistics::FromVector(numeric_features_, vector);
  const double rows = sum.back();
  if (!std::isfinite(rows) || rows < 0.5) {
    throw Error("the summed row count is " + std::to_string(rows) + ", expected at least 1");
  }
  federation_rows_ = std::llround(rows);
}

void RoundState::CompleteTraining(const StageState& stage, Clock::time_point now) {
  const secagg::SecAggServer& server = *stage.server;
  contributors_ = server.Contributors();
  dropped_ = Minus(config_.Roster(), contributors_);
  secagg::QuantizationConfig quantization = config_.quantization;
  quantization.modulus_bits = stage.modulus_bits;
  const std::vector<double> sum =
      secagg::Dequantize(server.result(), static_cast<int64_t>(contributors_.size()), quantization);

  const Eigen::Index d = base_model_->NumParameters();
  const double weight = sum[static_cast<size_t>(d)];
  if (!(weight > 0)) {
    throw Error("the summed weight is " + std::to_string(weight) + ", expected > 0");
  }
  Eigen::VectorXd mean_delta(d);
  for (Eigen::Index i = 0; i < d; ++i) mean_delta[i] = sum[static_cast<size_t>(i)] / weight;

  // The line's optimizer continues from its saved state when it fits this
  // model; a state of another type or size (the line changed its model or
  // optimizer) restarts it rather than failing every later round.
  Eigen::VectorXd params = base_model_->Parameters();
  std::unique_ptr<fl::ServerOptimizer> optimizer =
      fl::MakeServerOptimizer(config_.server_optimizer);
  if (auto saved = services_.optimizer_states->Load(config_.model_line)) {
    try {
      optimizer->Restore(*saved);
      optimizer->Apply(mean_delta, &params);
    } catch (const ConfigError& e) {
      runtime::Log().Warn(
          "server optimizer state restarted",
          {{"round", id()}, {"modelLine", config_.model_line}, {"reason", What(e)}});
      params = base_model_->Parameters();
      optimizer = fl::MakeServerOptimizer(config_.server_optimizer);
      optimizer->Apply(mean_delta, &params);
    }
  } else {
    optimizer->Apply(mean_delta, &params);
  }
  if (!params.allFinite()) throw Error("the updated parameters are not finite");
  model_digest_ = Release(params, *optimizer);

  StageState* evaluation = Find(Stage::kEvaluation);
  if (evaluation == nullptr) {
    Succeed("");
    return;
  }
  runtime::Log().Info("model released, evaluating",
                      {{"round", id()}, {"model", model_digest_}, {"silos", contributors_}});
  Start(*evaluation, contributors_, now);
}

std::string RoundState::Release(const Eigen::VectorXd& params,
                                const fl::ServerOptimizer& optimizer) {
  std::unique_ptr<model::Model> next = base_model_->Clone();
  next->SetParameters(params);

  model::ModelCard card;
  card.spec = next->spec();
  card.schema = config_.schema;
  card.task = config_.task;
  card.feature_statistics = statistics_ ? statistics_->ToJson() : json();
  json privacy = nullptr;
  const auto& dp = config_.training.dp;
  if (dp) {
    const privacy::RdpCurve charge = privacy::SampledGaussianRdp(
        dp->sampling_rate, dp->noise_multiplier, config_.training.steps);
    privacy = {{"mechanism", "dp-sgd"},
               {"samplingRate", dp->sampling_rate},
               {"noiseMultiplier", dp->noise_multiplier},
               {"clipNorm", dp->clip_norm},
               {"steps", config_.training.steps},
               {"delta", config_.privacy_delta},
               {"roundEpsilon", privacy::EpsilonFromRdp(charge, config_.privacy_delta).epsilon}};
  }
  card.privacy = privacy;
  card.lineage = {{"modelLine", config_.model_line},
                  {"baseModel", base_digest_},
                  {"round", id()},
                  {"contributors", contributors_},
                  {"dropped", dropped_},
                  {"federationRows", federation_rows_ ? json(*federation_rows_) : json(nullptr)}};
  const std::string bytes = model::SerializeModel(*next, card);
  std::string digest = services_.store->Put(bytes);

  ReleaseRecord record;
  record.round = id();
  record.model_line = config_.model_line;
  record.digest = digest;
  record.time = runtime::Rfc3339Now();
  record.base_model = base_digest_;
  record.dropped = dropped_;
  record.config = std::make_shared<const json>(fl::RoundConfigToJson(config_));
  for (const fl::RoundSilo& silo : config_.silos) {
    if (std::find(contributors_.begin(), contributors_.end(), silo.name) == contributors_.end()) {
      continue;
    }
    SiloCharge charge;
    charge.silo = silo.name;
    charge.private_release = dp.has_value();
    if (dp) {
      charge.sampling_rate = dp->sampling_rate;
      charge.noise_multiplier = dp->noise_multiplier;
      charge.steps = config_.training.steps;
    }
    charge.delta = silo.delta;
    charge.budget = silo.epsilon_budget;
    record.silos.push_back(std::move(charge));
  }
  // Recorded before the round reports success: a release the log does not
  // know about would under-report every contributor's privacy loss.
  services_.release_log->Append(record);
  services_.optimizer_states->Save(config_.model_line, optimizer.State());
  if (services_.metrics != nullptr) {
    services_.metrics->UpdatePrivacy(services_.release_log->Spending());
  }
  return digest;
}

void RoundState::CompleteEvaluation(const StageState& stage) {
  const std::vector<double> sum =
      secagg::DecodeFixedPoint(stage.server->result(), secagg::kStatisticsFractionalBits);
  const model::EvaluationSums sums = model::EvaluationSums::FromVector(
      sum, base_model_->spec().num_classes, "round " + id() + ": evaluation sum");
  if (sums.examples() == 0) {
    Succeed("evaluation stage: the silos hold out no rows");
    return;
  }
  const std::vector<std::string> classes =
      data::FeatureSchema::FromJson(config_.schema, "round config: schema").label().classes;
  const model::Evaluation evaluation = sums.ToEvaluation(classes);
  // JSON has no NaN: a metric undefined on these rows (one class only) is left out.
  std::map<std::string, double> metrics;
  for (const auto& [name, value] : evaluation.ToMap()) {
    if (std::isfinite(value)) metrics[name] = value;
  }
  const double primary = evaluation.PrimaryValue();
  json result = {
      {"examples", sums.examples()},
      {"silos", stage.server->Contributors()},
      {"metrics", metrics},
      {"primaryMetric", std::isfinite(primary)
                            ? json{{"name", evaluation.PrimaryMetric()}, {"value", primary}}
                            : json(nullptr)}};
  services_.release_log->AppendEvaluation(id(), result);
  if (services_.metrics != nullptr) services_.metrics->ModelEvaluated(config_.model_line, metrics);
  evaluation_ = std::move(result);
  Succeed("");
}

void RoundState::Succeed(const std::string& evaluation_failure) {
  outcome_ = Outcome::kSucceeded;
  evaluation_failure_ = evaluation_failure;
  if (services_.metrics != nullptr) {
    services_.metrics->RoundFinished(true, static_cast<int>(contributors_.size()),
                                     static_cast<int>(dropped_.size()));
  }
  runtime::Log().Info("round succeeded", {{"round", id()},
                                          {"model", model_digest_},
                                          {"contributors", contributors_},
                                          {"dropped", dropped_}});
  if (!evaluation_failure.empty()) {
    runtime::Log().Warn("model released without metrics",
                        {{"round", id()}, {"reason", evaluation_failure}});
  }
}

void RoundState::Fail(const std::string& reason, const std::vector<std::string>& dropped) {
  if (outcome_ != Outcome::kRunning) return;
  // Once the model is released the round's result stands: it was recorded
  // and charged. Only its evaluation can still fail.
  if (!model_digest_.empty()) {
    Succeed(reason);
    return;
  }
  outcome_ = Outcome::kFailed;
  failure_ = reason;
  dropped_ = dropped;
  contributors_.clear();
  if (services_.metrics != nullptr) {
    services_.metrics->RoundFinished(false, 0, static_cast<int>(dropped.size()));
  }
  runtime::Log().Warn("round failed", {{"round", id()}, {"failure", reason}});
}

std::string RoundState::Phase() const {
  if (outcome_ == Outcome::kSucceeded) return "succeeded";
  if (outcome_ == Outcome::kFailed) return "failed";
  for (const StageState& s : stages_) {
    if (s.server && Open(s.server->phase())) {
      return std::string(StageName(s.stage)) + "/" + secagg::PhaseName(s.server->phase());
    }
  }
  return "finishing";
}

json RoundState::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  json stages = json::array();
  json lengths = json::object();
  json moduli = json::object();
  const StageState* current = nullptr;
  for (const StageState& s : stages_) {
    stages.push_back(StageName(s.stage));
    lengths[StageName(s.stage)] = s.vector_length;
    moduli[StageName(s.stage)] = s.modulus_bits;
    if (s.server && (current == nullptr || Open(s.server->phase()))) current = &s;
  }
  json status = {{"round", id()},
                 {"phase", Phase()},
                 {"stages", std::move(stages)},
                 {"baseModel", base_digest_},
                 {"model", model_digest_.empty() ? json(nullptr) : json(model_digest_)},
                 {"contributors", contributors_},
                 {"dropped", dropped_},
                 {"failure", outcome_ == Outcome::kFailed ? json(failure_) : json(nullptr)},
                 {"evaluation", evaluation_ ? *evaluation_ : json(nullptr)},
                 {"evaluationFailure",
                  evaluation_failure_.empty() ? json(nullptr) : json(evaluation_failure_)},
                 {"vectorLength", current ? current->vector_length : 0},
                 {"vectorLengths", std::move(lengths)},
                 {"modulusBits", std::move(moduli)},
                 {"config", fl::RoundConfigToJson(config_)}};
  return status;
}

}  // namespace fedcrm::aggregator
