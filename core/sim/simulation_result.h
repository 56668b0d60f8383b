// What a local federation produced: one line of the results table per
// training strategy, each with its per-round curve.
#pragma once

#include <Eigen/Core>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/model.h"

namespace fedcrm::sim {

enum class StrategyKind { kCentralized, kLocalOnly, kFederated, kFederatedPrivate };

struct StrategyResult {
  StrategyKind kind = StrategyKind::kCentralized;
  std::string label;  // "Centralized (pooled, not allowed)", "eu only", ...
  std::string silo;   // the silo, for kLocalOnly
  // Primary metric on the union of the regions' test sets after each round.
  // Over the network (secure_aggregation) it is what the round's evaluation
  // stage computed under secure aggregation: the same rows, AUC binned.
  std::vector<double> curve;
  // Final metrics on the union test set, and on each region's own test set.
  std::map<std::string, double> metrics;
  std::map<std::string, std::map<std::string, double>> metrics_by_region;
  // kFederatedPrivate: ε spent per silo at the run's δ, and silos excluded
  // when their budget could not cover a round.
  std::map<std::string, double> epsilon_by_silo;
  std::map<std::string, int> rounds_by_silo;
  // Whether the aggregate was computed under secure aggregation (workers as
  // processes, the aggregator seeing only the sum).
  bool secure_aggregation = false;
  // The trained model's parameters (of SimulationResult::model_spec).
  Eigen::VectorXd parameters;
};

struct SiloSummary {
  std::string name;
  std::string region;
  std::string jurisdiction;
  int64_t train_rows = 0;
  int64_t test_rows = 0;
  double positive_rate = 0;  // binary tasks: share of label 1 in train
  double epsilon_budget = 0;
};

struct SimulationResult {
  std::string name;
  std::string task;
  std::string model_type;
  bool binary = true;
  std::string primary_metric;    // "roc_auc" or "accuracy"
  std::string secondary_metric;  // "log_loss" or "macro_f1"
  int rounds = 0;
  double noise_multiplier = 0;
  bool noise_calibrated = false;
  double sampling_rate = 0;
  double clip_norm = 0;
  double delta = 0;
  int64_t local_steps = 0;
  std::vector<SiloSummary> silos;
  // What a model file's card needs: the encoding the models were trained on.
  model::ModelSpec model_spec;
  nlohmann::json schema;              // canonical form
  nlohmann::json feature_statistics;  // federation-wide
  std::vector<StrategyResult> strategies;
  double seconds = 0;
};

}  // namespace fedcrm::sim
