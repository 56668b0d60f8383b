#include "core/sim/federation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "core/common/error.h"
#include "core/data/encoder.h"
#include "core/data/feature_schema.h"
#include "core/data/feature_statistics.h"
#include "core/data/row_split.h"
#include "core/data/synthetic/generator.h"
#include "core/data/table.h"
#include "core/fl/aggregation.h"
#include "core/fl/server_optimizer.h"
#include "core/model/metrics.h"
#include "core/privacy/budget_ledger.h"
#include "core/privacy/noise_calibration.h"
#include "core/privacy/rdp_accountant.h"
#include "core/train/local_trainer.h"
#include "core/train/secure_random.h"

namespace fedcrm::sim {
namespace {

// One silo's rows after the train/test split, encoded with the federation's
// statistics.
struct Silo {
  const SiloConfig* config;
  data::Dataset train;
  data::Dataset test;
};

data::ParsedTable LoadTable(const SiloConfig& silo, const std::string& task,
                            const data::FeatureSchema& schema) {
  if (!silo.data.generated()) return data::ReadTableFile(silo.data.path, schema);
  data::synthetic::GeneratorOptions options;
  options.task = task;
  options.region = silo.region;
  options.rows = silo.data.generate_rows > 0 ? silo.data.generate_rows
                                             : data::synthetic::DefaultRows(task, silo.region);
  options.seed = silo.data.generate_seed;
  std::stringstream csv;
  data::synthetic::GenerateCsv(options, csv);
  return data::ReadTable(csv, "generated:" + task + "/" + silo.region, schema);
}

data::Dataset Concatenate(const std::vector<const data::Dataset*>& parts) {
  data::Dataset out;
  Eigen::Index rows = 0;
  for (const auto* part : parts) rows += part->rows();
  out.num_classes = parts.front()->num_classes;
  out.feature_names = parts.front()->feature_names;
  out.class_names = parts.front()->class_names;
  out.x.resize(rows, parts.front()->cols());
  out.y.resize(rows);
  Eigen::Index at = 0;
  for (const auto* part : parts) {
    out.x.middleRows(at, part->rows()) = part->x;
    out.y.segment(at, part->rows()) = part->y;
    at += part->rows();
  }
  return out;
}

// Everything the strategies share: the silos, the pooled views and the
// model to start from.
struct Federation {
  const SimulationConfig* config;
  data::FeatureSchema schema;
  std::vector<Silo> silos;
  data::Dataset pooled_train;
  data::Dataset union_test;
  model::ModelSpec model_spec;
  bool binary = true;
  std::string primary_metric;
  nlohmann::json feature_statistics;
  std::vector<data::ParsedTable> test_tables;  // for models standardized elsewhere
};

Federation Prepare(const SimulationConfig& config) {
  Federation fed{
      &config, data::FeatureSchema::FromJson(config.schema, config.source + ": spec.round.schema"),
      {},      {},
      {},      config.model,
      true,    "",
      nullptr, {}};
  fed.binary = fed.schema.label().type == data::LabelType::kBinary;
  fed.primary_metric = fed.binary ? "roc_auc" : "accuracy";

  // Read and split every silo; the standardization statistics are the sum of
  // the silos' training statistics, never one silo's own (design rule).
  std::vector<data::ParsedTable> train_tables, test_tables;
  std::optional<data::FeatureStatistics> federation_stats;
  for (size_t i = 0; i < config.silos.size(); ++i) {
    const SiloConfig& silo = config.silos[i];
    data::ParsedTable table = LoadTable(silo, config.task, fed.schema);
    if (table.rows() < 2) {
      throw ConfigError(config.source + ": spec.silos[" + std::to_string(i) + "].data",
                        "silo '" + silo.name + "' has " + std::to_string(table.rows()) +
                            " rows; at least 2 are needed to hold out a test set");
    }
    const data::RowSplit split =
        data::SplitRows(table.rows(), config.test_fraction, config.seed + i);
    train_tables.push_back(table.Subset(split.train));
    test_tables.push_back(table.Subset(split.test));
    const data::FeatureStatistics silo_stats = train_tables.back().Statistics();
    if (federation_stats) {
      federation_stats->Merge(silo_stats);
    } else {
      federation_stats = silo_stats;
    }
  }
  fed.feature_statistics = federation_stats->ToJson();
  fed.test_tables = test_tables;
  for (size_t i = 0; i < config.silos.size(); ++i) {
    fed.silos.push_back({&config.silos[i],
                         data::Encode(train_tables[i], fed.schema, *federation_stats),
                         data::Encode(test_tables[i], fed.schema, *federation_stats)});
  }

  std::vector<const data::Dataset*> trains, tests;
  for (const auto& silo : fed.silos) {
    trains.push_back(&silo.train);
    tests.push_back(&silo.test);
  }
  fed.pooled_train = Concatenate(trains);
  fed.union_test = Concatenate(tests);
  fed.model_spec.input_dim = static_cast<int>(fed.pooled_train.cols());
  fed.model_spec.num_classes = fed.schema.num_classes();
  if (fed.model_spec.type == "logistic" && !fed.binary) fed.model_spec.type = "softmax";
  return fed;
}

double PrimaryMetric(const Federation& fed, const model::Model& m) {
  return model::Evaluate(m, fed.union_test).ToMap().at(fed.primary_metric);
}

void FinalEvaluation(const Federation& fed, const model::Model& m, StrategyResult* result) {
  result->metrics = model::Evaluate(m, fed.union_test).ToMap();
  for (const auto& silo : fed.silos) {
    result->metrics_by_region[silo.config->name] = model::Evaluate(m, silo.test).ToMap();
  }
}

// Evaluates models whose inputs were standardized with other statistics
// (computed under secure aggregation by the workers).
class FederationEvaluator : public Evaluator {
 public:
  explicit FederationEvaluator(const Federation& fed) : fed_(fed) {}

  double Primary(const model::Model& m, const data::FeatureStatistics& statistics) const override {
    return model::Evaluate(m, UnionTest(statistics)).ToMap().at(fed_.primary_metric);
  }

  void Final(const model::Model& m, const data::FeatureStatistics& statistics,
             StrategyResult* result) const override {
    result->metrics = model::Evaluate(m, UnionTest(statistics)).ToMap();
    for (size_t i = 0; i < fed_.silos.size(); ++i) {
      result->metrics_by_region[fed_.silos[i].config->name] =
          model::Evaluate(m, data::Encode(fed_.test_tables[i], fed_.schema, statistics)).ToMap();
    }
  }

 private:
  data::Dataset UnionTest(const data::FeatureStatistics& statistics) const {
    std::vector<data::Dataset> parts;
    for (const auto& table : fed_.test_tables) {
      parts.push_back(data::Encode(table, fed_.schema, statistics));
    }
    std::vector<const data::Dataset*> pointers;
    for (const auto& part : parts) pointers.push_back(&part);
    return Concatenate(pointers);
  }

  const Federation& fed_;
};

// Centralized and local-only training: plain SGD on one dataset, the same
// number of steps as the federation takes in total, evaluated after every
// `steps`-long segment so that the curves line up round by round.
StrategyResult TrainAlone(const Federation& fed, const data::Dataset& data, StrategyKind kind,
                          const std::string& label, uint64_t seed,
                          const SimulationOptions& options) {
  const SimulationConfig& config = *fed.config;
  StrategyResult result;
  result.kind = kind;
  result.label = label;
  auto model = model::MakeModel(fed.model_spec, config.seed);
  train::SecureRandom rng = options.secure_noise ? train::SecureRandom::FromOsEntropy()
                                                 : train::SecureRandom::ForTesting(seed);
  if (options.progress) options.progress->StrategyStarted(label, config.rounds);
  for (int round = 1; round <= config.rounds; ++round) {
    auto step = train::TrainLocal(*model, data, config.training, rng);
    model->SetParameters(model->Parameters() + step.delta);
    result.curve.push_back(PrimaryMetric(fed, *model));
    if (options.progress) {
      options.progress->RoundFinished(label, round, config.rounds, result.curve.back());
    }
  }
  FinalEvaluation(fed, *model, &result);
  result.parameters = model->Parameters();
  return result;
}

// The privacy charge of one round for one silo: it depends only on (q, σ,
// steps), so it is known before the round starts and can be reserved.
privacy::RdpCurve RoundCharge(const SimulationConfig& config, double sigma) {
  return privacy::SampledGaussianRdp(config.privacy.sampling_rate, sigma, config.training.steps);
}

// Federated training, with DP-SGD in every silo when `sigma` is set. Each
// silo's ledger reserves a round's charge before the round and commits it
// when the aggregate is applied; a silo whose budget cannot cover the next
// round stops participating.
StrategyResult TrainFederated(const Federation& fed, std::optional<double> sigma,
                              const std::string& label, const SimulationOptions& options) {
  const SimulationConfig& config = *fed.config;
  StrategyResult result;
  result.kind = sigma ? StrategyKind::kFederatedPrivate : StrategyKind::kFederated;
  result.label = label;
  auto global = model::MakeModel(fed.model_spec, config.seed);
  auto server = fl::MakeServerOptimizer(config.server_optimizer);
  train::LocalTrainingConfig training = config.training;
  if (sigma) {
    training.dp =
        train::DpSgdConfig{config.privacy.sampling_rate, *sigma, config.privacy.clip_norm};
  }
  std::vector<privacy::BudgetLedger> ledgers;
  for (const auto& silo : fed.silos) {
    ledgers.emplace_back(silo.config->epsilon_budget, silo.config->delta_budget);
  }

  if (options.progress) options.progress->StrategyStarted(label, config.rounds);
  for (int round = 1; round <= config.rounds; ++round) {
    const std::string round_id = "round-" + std::to_string(round);
    std::vector<fl::ClientUpdate> updates;
    for (size_t i = 0; i < fed.silos.size(); ++i) {
      if (sigma) {
        const auto charge = RoundCharge(config, *sigma);
        if (!ledgers[i].CanAfford(charge)) continue;  // budget exhausted: excluded
        ledgers[i].Reserve(round_id, charge);
      }
      // A fresh generator per silo and round, as a worker process has.
      train::SecureRandom rng =
          options.secure_noise ? train::SecureRandom::FromOsEntropy()
                               : train::SecureRandom::ForTesting(NoiseSeed(config.seed, i, round));
      auto local = train::TrainLocal(*global, fed.silos[i].train, training, rng);
      updates.push_back(
          {std::move(local.delta), fl::ClientWeight(config.weighting, fed.silos[i].train.rows())});
    }
    if (!updates.empty()) {
      Eigen::VectorXd params = global->Parameters();
      server->Apply(fl::WeightedMean(updates), &params);
      global->SetParameters(params);
      // The aggregate is released: commit every reservation of this round.
      if (sigma) {
        for (auto& ledger : ledgers) {
          if (ledger.HasReservation(round_id)) ledger.Commit(round_id);
        }
      }
    }
    result.curve.push_back(PrimaryMetric(fed, *global));
    if (options.progress) {
      options.progress->RoundFinished(label, round, config.rounds, result.curve.back());
    }
  }
  if (sigma) {
    for (size_t i = 0; i < fed.silos.size(); ++i) {
      result.epsilon_by_silo[fed.silos[i].config->name] = ledgers[i].EpsilonSpent();
      result.rounds_by_silo[fed.silos[i].config->name] = ledgers[i].RoundsCommitted();
    }
  }
  FinalEvaluation(fed, *global, &result);
  result.parameters = global->Parameters();
  return result;
}

// σ for the DP run: as configured, or the smallest σ that lets every silo
// take part in every round within its budget.
double NoiseMultiplier(const SimulationConfig& config, bool* calibrated) {
  *calibrated = !config.privacy.noise_multiplier.has_value();
  if (!*calibrated) return *config.privacy.noise_multiplier;
  double tightest = config.silos.front().epsilon_budget;
  for (const auto& silo : config.silos) tightest = std::min(tightest, silo.epsilon_budget);
  // Aim a little below the budget so floating-point rounding in composition
  // can never make the last round unaffordable.
  return privacy::CalibrateNoiseMultiplier(tightest * 0.999, config.privacy.sampling_rate,
                                           config.training.steps * config.rounds,
                                           config.privacy.delta);
}

}  // namespace

uint64_t NoiseSeed(uint64_t seed, size_t silo, int round) {
  // SplitMix64 finalizer over the three inputs: distinct streams, no overlap.
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + silo * 0xBF58476D1CE4E5B9ULL +
               static_cast<uint64_t>(round) * 0x94D049BB133111EBULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

SimulationResult RunSimulation(const SimulationConfig& config, const SimulationOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const Federation fed = Prepare(config);

  SimulationResult result;
  result.name = config.name;
  result.task = config.task;
  result.model_type = fed.model_spec.type;
  result.model_spec = fed.model_spec;
  result.schema = fed.schema.ToJson();
  result.feature_statistics = fed.feature_statistics;
  result.binary = fed.binary;
  result.primary_metric = fed.primary_metric;
  result.secondary_metric = fed.binary ? "log_loss" : "macro_f1";
  result.rounds = config.rounds;
  result.sampling_rate = config.privacy.sampling_rate;
  result.clip_norm = config.privacy.clip_norm;
  result.delta = config.privacy.delta;
  result.local_steps = config.training.steps;
  result.noise_multiplier = NoiseMultiplier(config, &result.noise_calibrated);
  for (const auto& silo : fed.silos) {
    SiloSummary summary{silo.config->name,          silo.config->region, silo.config->jurisdiction,
                        silo.train.rows(),          silo.test.rows(),    0.0,
                        silo.config->epsilon_budget};
    if (fed.binary && silo.train.rows() > 0) {
      summary.positive_rate = silo.train.y.cast<double>().mean();
    }
    result.silos.push_back(summary);
  }

  result.strategies.push_back(TrainAlone(fed, fed.pooled_train, StrategyKind::kCentralized,
                                         "Centralized (pooled)", config.seed, options));
  for (size_t i = 0; i < fed.silos.size(); ++i) {
    auto alone =
        TrainAlone(fed, fed.silos[i].train, StrategyKind::kLocalOnly,
                   fed.silos[i].config->name + " alone", config.seed + 101 * (i + 1), options);
    alone.silo = fed.silos[i].config->name;
    result.strategies.push_back(std::move(alone));
  }
  result.strategies.push_back(TrainFederated(fed, std::nullopt, "Federated", options));
  if (options.private_federation) {
    const FederationEvaluator evaluator(fed);
    result.strategies.push_back(
        options.private_federation(config, result.noise_multiplier, evaluator));
  } else {
    result.strategies.push_back(
        TrainFederated(fed, result.noise_multiplier, "Federated + DP", options));
  }

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace fedcrm::sim
