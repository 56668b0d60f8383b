#include "core/sim/report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/model_file.h"
#include "core/model/model_store.h"

namespace fedcrm::sim {
namespace {

SimulationResult SampleResult() {
  SimulationResult r;
  r.task = "churn";
  r.model_type = "logistic";
  r.primary_metric = "roc_auc";
  r.secondary_metric = "log_loss";
  r.rounds = 2;
  r.local_steps = 5;
  r.noise_multiplier = 1.1;
  r.delta = 1e-5;
  r.model_spec.type = "logistic";
  r.model_spec.input_dim = 2;
  r.model_spec.num_classes = 2;
  r.schema = {{"label", {{"name", "y"}, {"type", "binary"}}}};
  r.silos = {{"eu", "eu", "GDPR", 80, 20, 0.2, 3.0}, {"us", "us", "CCPA", 80, 20, 0.3, 3.0}};
  auto strategy = [](StrategyKind kind, std::string label, double auc) {
    StrategyResult s;
    s.kind = kind;
    s.label = std::move(label);
    s.curve = {auc - 0.1, auc};
    s.metrics = {{"roc_auc", auc}, {"log_loss", 0.5}};
    s.parameters = Eigen::VectorXd::Constant(3, auc);
    s.metrics_by_region = {{"eu", {{"roc_auc", auc}}}, {"us", {{"roc_auc", auc}}}};
    return s;
  };
  r.strategies.push_back(strategy(StrategyKind::kCentralized, "Centralized (pooled)", 0.85));
  r.strategies.push_back(strategy(StrategyKind::kLocalOnly, "eu alone", 0.70));
  r.strategies.back().silo = "eu";
  r.strategies.push_back(strategy(StrategyKind::kLocalOnly, "us alone", 0.75));
  r.strategies.back().silo = "us";
  r.strategies.push_back(strategy(StrategyKind::kFederated, "Federated", 0.84));
  r.strategies.push_back(strategy(StrategyKind::kFederatedPrivate, "Federated + DP", 0.82));
  r.strategies.back().epsilon_by_silo = {{"eu", 2.5}, {"us", 2.5}};
  r.strategies.back().rounds_by_silo = {{"eu", 2}, {"us", 2}};
  return r;
}

TEST(ReportTest, TableHasEveryStrategyAndTheGain) {
  const std::string table = FormatResultsTable(SampleResult());
  for (const char* needle : {"Centralized (pooled) *", "eu alone", "us alone", "Federated + DP",
                             "0.840", "eu 2.50/3.00"}) {
    EXPECT_NE(table.find(needle), std::string::npos) << needle << "\n" << table;
  }
  // Federated 0.84 against the best region alone (us, 0.75).
  EXPECT_NE(table.find("gained +0.090 ROC AUC over the best region alone (us)"), std::string::npos)
      << table;
  EXPECT_NE(table.find("costs 0.020 ROC AUC"), std::string::npos) << table;
}

TEST(ReportTest, WritesJsonAndSvg) {
  const auto dir = std::filesystem::temp_directory_path() / "fedcrm-report-test";
  std::filesystem::remove_all(dir);
  WriteReport(SampleResult(), dir);
  std::ifstream in(dir / "report.json");
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json["task"], "churn");
  ASSERT_EQ(json["strategies"].size(), 5u);
  EXPECT_EQ(json["strategies"][4]["kind"], "federated_dp");
  EXPECT_DOUBLE_EQ(json["strategies"][4]["epsilonBySilo"]["eu"].get<double>(), 2.5);
  EXPECT_TRUE(std::filesystem::exists(dir / "roc_auc.svg"));

  // The federated models are saved content-addressed, with their card.
  const std::string digest = json["models"]["Federated + DP"];
  const auto bytes = model::ModelStore(dir / "models").Get(digest);
  ASSERT_TRUE(bytes.has_value());
  const model::LoadedModel loaded = model::ParseModel(*bytes, digest);
  EXPECT_EQ(loaded.digest, digest);
  EXPECT_EQ(loaded.model->Parameters(), Eigen::VectorXd::Constant(3, 0.82));
  EXPECT_DOUBLE_EQ(loaded.card.privacy["epsilonBySilo"]["us"].get<double>(), 2.5);
  EXPECT_EQ(loaded.card.lineage["strategy"], "Federated + DP");
  EXPECT_TRUE(json["models"].contains("Federated"));
  EXPECT_FALSE(json["models"].contains("eu alone"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fedcrm::sim
