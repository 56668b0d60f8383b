#include "worker/worker.h"

#include <Eigen/Core>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/common/error.h"
#include "core/data/encoder.h"
#include "core/data/feature_schema.h"
#include "core/data/feature_statistics.h"
#include "core/data/row_split.h"
#include "core/data/table.h"
#include "core/fl/round_config.h"
#include "core/model/evaluation_sums.h"
#include "core/model/model.h"
#include "core/model/model_card.h"
#include "core/model/model_file.h"
#include "core/secagg/fixed_point.h"
#include "core/secagg/quantization.h"
#include "core/secagg/round_parameters.h"
#include "core/train/local_trainer.h"
#include "core/train/secure_random.h"
#include "runtime/certificates.h"
#include "runtime/https_client.h"
#include "runtime/log.h"
#include "worker/aggregator_client.h"
#include "worker/secure_sum.h"

namespace fedcrm::worker {
namespace {

constexpr char kStatisticsStage[] = "statistics";
constexpr char kTrainingStage[] = "training";
constexpr char kEvaluationStage[] = "evaluation";
// Keeps the rounding stream apart from the noise stream under one --seed.
constexpr uint64_t kRoundingSeedOffset = 0x9e3779b97f4a7c15ULL;

// Thrown by the --fail-at hook; unwinds the run without sending anything more.
struct SimulatedDropout {
  std::string step;
};

// The federation's statistics and total row count, however obtained.
struct FederationStatistics {
  data::FeatureStatistics statistics;
  int64_t rows = 0;
};

std::string StringOr(const nlohmann::json& json, const char* key, const std::string& fallback) {
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// The client certificate's identity must be the silo we claim to be; the
// aggregator would refuse us with 403 anyway, but only after we read data.
runtime::TlsClientOptions LoadTls(const WorkerOptions& options) {
  runtime::TlsClientOptions tls;
  tls.ca_pem = runtime::ReadPemFile(options.ca_path);
  tls.certificate_pem = runtime::ReadPemFile(options.tls_cert_path);
  tls.private_key_pem = runtime::ReadPemFile(options.tls_key_path);
  const std::string identity = runtime::CertificateIdentity(tls.certificate_pem);
  if (identity.empty()) {
    throw ConfigError("flag --tls-cert " + options.tls_cert_path,
                      "the certificate carries no fedcrm identity (URI SAN " +
                          std::string(runtime::kIdentityUriPrefix) + "<silo>)");
  }
  if (identity != options.silo) {
    throw ConfigError("flag --silo", "'" + options.silo + "' does not match the identity '" +
                                         identity + "' of the certificate " +
                                         options.tls_cert_path);
  }
  return tls;
}

// The config is served inside the status document ("config") so that a silo
// needs one request; a bare config document is accepted too.
fl::RoundConfig ParseConfig(const nlohmann::json& status, const std::string& round) {
  auto it = status.find("config");
  const nlohmann::json& json = it != status.end() && it->is_object() ? *it : status;
  return fl::ParseRoundConfig(json, round);
}

void RequireRunnable(const nlohmann::json& status, const fl::RoundConfig& config,
                     const std::string& silo) {
  const std::string phase = StringOr(status, "phase", "");
  if (phase == "failed") {
    throw AggregatorError(409, "round " + config.round_id +
                                   " failed: " + StringOr(status, "failure", "no reason given"));
  }
  if (phase == "succeeded") {
    throw AggregatorError(409, "round " + config.round_id + " has already finished");
  }
  const std::vector<std::string> roster = config.Roster();
  if (std::find(roster.begin(), roster.end(), silo) == roster.end()) {
    throw ConfigError("round " + config.round_id, "silo '" + silo + "' is not on its roster");
  }
}

struct BaseModel {
  std::unique_ptr<model::Model> model;
  model::ModelCard card;
};

BaseModel LoadBaseModel(const AggregatorClient& client, const nlohmann::json& status,
                        const fl::RoundConfig& config) {
  std::string digest = StringOr(status, "baseModel", "");
  if (digest.empty() && config.base_model) digest = *config.base_model;
  BaseModel base;
  if (digest.empty()) {
    // The aggregator builds the same model from the same seed.
    base.model = model::MakeModel(config.model, config.seed);
    return base;
  }
  model::LoadedModel loaded = model::ParseModel(client.GetModel(digest), "model " + digest);
  base.model = std::move(loaded.model);
  base.card = std::move(loaded.card);
  runtime::Log().Info("base model verified", {{"digest", digest}});
  return base;
}

bool HasStatistics(const model::ModelCard& card) {
  return !card.feature_statistics.is_null() && !card.feature_statistics.empty();
}

std::vector<std::string> Stages(const nlohmann::json& status, const model::ModelCard& card) {
  auto it = status.find("stages");
  std::vector<std::string> stages;
  if (it != status.end() && it->is_array()) {
    for (const auto& stage : *it) {
      if (stage.is_string()) stages.push_back(stage.get<std::string>());
    }
    return stages;
  }
  if (!HasStatistics(card)) stages.push_back(kStatisticsStage);
  stages.push_back(kTrainingStage);
  return stages;
}

// The share of rows held out: the round's, when it evaluates its model (every
// silo must hold out alike for the federation's metrics to mean anything),
// else --test-fraction.
double HoldoutFraction(const WorkerOptions& options, const fl::RoundConfig& config) {
  if (config.evaluation_holdout <= 0) return options.test_fraction;
  if (options.test_fraction > 0 && options.test_fraction != config.evaluation_holdout) {
    throw ConfigError("flag --test-fraction", std::to_string(options.test_fraction) +
                                                  " differs from round " + config.round_id +
                                                  "'s evaluation.holdoutFraction " +
                                                  std::to_string(config.evaluation_holdout) +
                                                  "; drop the flag or give the round's value");
  }
  return config.evaluation_holdout;
}

struct SiloRows {
  data::ParsedTable train;
  data::ParsedTable held_out;
};

SiloRows ReadRows(const WorkerOptions& options, const fl::RoundConfig& config,
                  const data::FeatureSchema& schema) {
  data::ParsedTable table = data::ReadTableFile(options.data_path, schema);
  SiloRows rows;
  const double holdout = HoldoutFraction(options, config);
  if (holdout > 0) {
    const data::RowSplit split = data::SplitRows(table.rows(), holdout, options.split_seed);
    rows.train = table.Subset(split.train);
    rows.held_out = table.Subset(split.test);
  } else {
    rows.train = std::move(table);
  }
  if (rows.train.rows() == 0) {
    throw ConfigError("flag --data " + options.data_path, "no rows to train on");
  }
  runtime::Log().Info("data read",
                      {{"rows", rows.train.rows()}, {"heldOutRows", rows.held_out.rows()}});
  return rows;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Polls the round's status until `ready` accepts it or the round succeeded,
// and returns that status. Throws AggregatorError when the round failed or
// the worker's deadline passes first (`waiting_for` says for what).
nlohmann::json AwaitStatus(const AggregatorClient& client, const WorkerOptions& options,
                           const std::string& waiting_for,
                           const std::function<bool(const nlohmann::json&)>& ready) {
  for (;;) {
    nlohmann::json status = client.GetRound();
    const std::string phase = StringOr(status, "phase", "");
    if (phase == "failed") {
      throw AggregatorError(409, "round " + options.round +
                                     " failed: " + StringOr(status, "failure", "no reason given"));
    }
    if (phase == "succeeded" || ready(status)) return status;
    if (std::chrono::steady_clock::now() + options.poll_interval > client.options().deadline) {
      throw AggregatorError(0,
                            "timed out waiting for round " + options.round + " to " + waiting_for);
    }
    std::this_thread::sleep_for(options.poll_interval);
  }
}

// The statistics a base model was standardized with, and the federation's
// row count from its lineage ("federationRows"); without that, the largest
// feature count stands in: the weight's scale cancels in the server's
// division by the summed weight, so only its order of magnitude matters.
FederationStatistics StatisticsFromCard(const model::ModelCard& card, const std::string& where) {
  FederationStatistics out;
  out.statistics = data::FeatureStatistics::FromJson(card.feature_statistics, where);
  if (card.lineage.is_object()) {
    auto rows = card.lineage.find("federationRows");
    if (rows != card.lineage.end() && rows->is_number_integer()) out.rows = rows->get<int64_t>();
  }
  for (Eigen::Index i = 0; i < out.statistics.size() && out.rows <= 0; ++i) {
    out.rows = std::max(out.rows, out.statistics.Count(i));
  }
  return out;
}

FederationStatistics ParseStatisticsResult(const std::string& body, const std::string& round) {
  const std::string where = "round " + round + ": statistics/result";
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("statistics") || !json.contains("rows") ||
      !json["rows"].is_number_integer()) {
    throw AggregatorError(200, where + ": expected {\"statistics\": ..., \"rows\": N}");
  }
  FederationStatistics out;
  out.statistics = data::FeatureStatistics::FromJson(json["statistics"], where + ".statistics");
  out.rows = json["rows"].get<int64_t>();
  if (out.rows <= 0) throw AggregatorError(200, where + ".rows: expected a positive count");
  return out;
}

class RoundRun {
 public:
  RoundRun(const WorkerOptions& options, const AggregatorClient& client)
      : options_(options), client_(client) {}

  void Run() {
    const nlohmann::json status = client_.GetRound();
    const fl::RoundConfig config = ParseConfig(status, options_.round);
    RequireRunnable(status, config, options_.silo);
    const data::FeatureSchema schema =
        data::FeatureSchema::FromJson(config.schema, "round " + config.round_id + ": schema");
    BaseModel base = LoadBaseModel(client_, status, config);
    const SiloRows rows = ReadRows(options_, config, schema);
    const data::ParsedTable& table = rows.train;

    FederationStatistics federation;
    const std::vector<std::string> stages = Stages(status, base.card);
    if (std::find(stages.begin(), stages.end(), kStatisticsStage) != stages.end()) {
      federation = RunStatistics(config, table);
    } else if (HasStatistics(base.card)) {
      federation = StatisticsFromCard(base.card, "base model card: featureStatistics");
    } else {
      throw AggregatorError(200, "round " + config.round_id +
                                     " has no statistics stage and its base model no statistics");
    }
    const data::Dataset dataset = data::Encode(table, schema, federation.statistics);
    RunTraining(config, *base.model, dataset, table.rows(), federation.rows);
    if (Contains(stages, kEvaluationStage)) {
      RunEvaluation(config, schema, federation.statistics, rows.held_out);
    }
  }

 private:
  void BeforeSend(const std::string& step) const {
    if (step == options_.fail_at) throw SimulatedDropout{step};
  }

  FederationStatistics RunStatistics(const fl::RoundConfig& config,
                                     const data::ParsedTable& table) const {
    const Eigen::VectorXd local = table.Statistics().ToVector();
    std::vector<double> values(local.begin(), local.end());
    values.push_back(static_cast<double>(table.rows()));
    const secagg::Round round(StageParameters(config, kStatisticsStage, 64, values.size()));
    RunSecureSum(
        client_, round, kStatisticsStage, options_.silo,
        [&values] { return secagg::EncodeFixedPoint(values, secagg::kStatisticsFractionalBits); },
        [this](const std::string& step) { BeforeSend(step); });
    FederationStatistics federation =
        ParseStatisticsResult(client_.Poll(kStatisticsStage, "result"), config.round_id);
    runtime::Log().Info("federation statistics received", {{"stage", kStatisticsStage}});
    return federation;
  }

  void RunTraining(const fl::RoundConfig& config, const model::Model& global,
                   const data::Dataset& dataset, int64_t rows, int64_t total_rows) const {
    const uint64_t length = static_cast<uint64_t>(global.NumParameters()) + 1;
    const secagg::Round round(
        StageParameters(config, kTrainingStage, config.quantization.modulus_bits, length));
    const double weight = SiloWeight(config.weighting, rows, total_rows);
    if (weight > config.quantization.clip) {
      // Quantize would clip the weight coordinate and bias the server's mean.
      throw ConfigError("round " + config.round_id + ": secureAggregation.quantization.clip",
                        "the silo weight " + std::to_string(weight) + " exceeds the clip");
    }
    auto make_input = [&]() {
      train::SecureRandom noise = options_.seed ? train::SecureRandom::ForTesting(*options_.seed)
                                                : train::SecureRandom::FromOsEntropy();
      train::LocalTrainingResult local = TrainLocal(global, dataset, config.training, noise);
      runtime::Log().Info("local training done",
                          {{"stage", kTrainingStage}, {"steps", local.steps}});
      std::vector<double> update(local.delta.begin(), local.delta.end());
      for (double& value : update) value *= weight;
      update.push_back(weight);
      train::SecureRandom rounding =
          options_.seed ? train::SecureRandom::ForTesting(*options_.seed + kRoundingSeedOffset)
                        : train::SecureRandom::FromOsEntropy();
      return secagg::Quantize(update, config.quantization,
                              [&rounding] { return rounding.NextU64(); });
    };
    RunSecureSum(client_, round, kTrainingStage, options_.silo, make_input,
                 [this](const std::string& step) { BeforeSend(step); });
  }

  // Scores the released model on the held-out rows through the evaluation
  // stage. The model is released (and the round's result set) before this
  // stage starts, so a failure here costs the round its metrics, not its
  // model: it is logged and the worker goes on to await the outcome.
  void RunEvaluation(const fl::RoundConfig& config, const data::FeatureSchema& schema,
                     const data::FeatureStatistics& statistics,
                     const data::ParsedTable& held_out) const {
    try {
      // The round's status once its model is released; a round that already
      // succeeded finished its evaluation without this silo.
      const nlohmann::json status =
          AwaitStatus(client_, options_, "release its model",
                      [](const nlohmann::json& s) { return !StringOr(s, "model", "").empty(); });
      if (StringOr(status, "phase", "") == "succeeded") return;
      std::vector<std::string> contributors;
      for (const auto& name : status.value("contributors", nlohmann::json::array())) {
        if (name.is_string()) contributors.push_back(name.get<std::string>());
      }
      if (!Contains(contributors, options_.silo)) {
        runtime::Log().Info("not among the model's contributors; no evaluation",
                            {{"stage", kEvaluationStage}});
        return;
      }
      const std::string digest = StringOr(status, "model", "");
      const model::LoadedModel released =
          model::ParseModel(client_.GetModel(digest), "model " + digest);
      const model::EvaluationSums sums =
          held_out.rows() == 0 ? model::EvaluationSums(released.model->spec().num_classes)
                               : model::EvaluationSums::Compute(
                                     *released.model, data::Encode(held_out, schema, statistics));
      const std::vector<double> values = sums.ToVector();
      secagg::RoundParameters params = StageParameters(config, kEvaluationStage, 64, values.size());
      params.roster = contributors;  // the stage runs among the model's contributors only
      RunSecureSum(
          client_, secagg::Round(std::move(params)), kEvaluationStage, options_.silo,
          [&values] { return secagg::EncodeFixedPoint(values, secagg::kStatisticsFractionalBits); },
          [this](const std::string& step) { BeforeSend(step); });
      runtime::Log().Info("evaluation sent",
                          {{"stage", kEvaluationStage}, {"heldOutRows", held_out.rows()}});
    } catch (const Error& e) {
      runtime::Log().Warn("evaluation abandoned",
                          {{"stage", kEvaluationStage}, {"reason", e.what()}});
    }
  }

  const WorkerOptions& options_;
  const AggregatorClient& client_;
};

// The round is done for this silo once it has sent its unmasking shares;
// waiting for the outcome lets the Job's status say whether a model came out.
void AwaitOutcome(const AggregatorClient& client, const WorkerOptions& options) {
  const nlohmann::json status =
      AwaitStatus(client, options, "finish", [](const nlohmann::json&) { return false; });
  runtime::Log().Info("round succeeded", {{"model", StringOr(status, "model", "")}});
}

}  // namespace

double SiloWeight(fl::Weighting weighting, int64_t rows, int64_t total_rows) {
  if (weighting == fl::Weighting::kUniform) return 1.0;
  if (total_rows <= 0) {
    throw ConfigError("record weighting", "silo rows " + std::to_string(rows) +
                                              " do not fit the federation's " +
                                              std::to_string(total_rows));
  }
  return static_cast<double>(rows) / static_cast<double>(total_rows);
}

int RunWorker(const WorkerOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  runtime::Log().Info("worker starting", {{"round", options.round}, {"silo", options.silo}});
  try {
    runtime::ClientOptions http_options;
    http_options.tls = LoadTls(options);
    const runtime::HttpsClient http(std::move(http_options));
    AggregatorClientOptions client_options;
    client_options.base_url = options.aggregator_url;
    client_options.round = options.round;
    client_options.poll_interval = options.poll_interval;
    client_options.deadline = start + options.timeout;
    const AggregatorClient client(http, std::move(client_options));
    RoundRun(options, client).Run();
    AwaitOutcome(client, options);
  } catch (const SimulatedDropout& dropout) {
    runtime::Log().Warn("stopping before sending (--fail-at testing aid)",
                        {{"round", options.round}, {"silo", options.silo}, {"step", dropout.step}});
    return kSimulatedDropoutExitCode;
  } catch (const Error& e) {
    runtime::Log().Error("worker failed",
                         {{"round", options.round}, {"silo", options.silo}, {"reason", e.what()}});
    return kExitFailure;
  } catch (const std::exception& e) {
    runtime::Log().Error("worker failed", {{"round", options.round},
                                           {"silo", options.silo},
                                           {"reason", std::string("internal error: ") + e.what()}});
    return kExitFailure;
  }
  runtime::Log().Info("worker done", {{"round", options.round}, {"silo", options.silo}});
  return kExitSuccess;
}

}  // namespace fedcrm::worker
