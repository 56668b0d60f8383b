#include "aggregator/round_state.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/data/feature_statistics.h"
#include "core/fl/round_config.h"
#include "core/model/evaluation_sums.h"
#include "core/model/model_file.h"
#include "core/secagg/fixed_point.h"
#include "core/secagg/quantization.h"
#include "tests/unit/aggregator/test_round.h"

namespace fedcrm::aggregator {
namespace {

using testing::RunStage;
using testing::TestConfig;
using testing::TestEnv;

const std::vector<std::string> kSilos = {"eu-west", "us-east", "ap-south"};

struct SiloData {
  data::FeatureStatistics statistics;
  int64_t rows = 0;
  Eigen::VectorXd delta;
};

// Each silo's statistics and update, made up but distinct.
std::map<std::string, SiloData> MakeSilos(Eigen::Index num_parameters) {
  std::map<std::string, SiloData> out;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  int64_t rows = 100;
  for (const auto& silo : kSilos) {
    SiloData d;
    d.statistics = data::FeatureStatistics({"tenure", "spend"});
    for (int64_t r = 0; r < rows; ++r) {
      d.statistics.Add(0, 12.0 + r % 7);
      if (r % 5) d.statistics.Add(1, 0.25 * r);
    }
    d.rows = rows;
    d.delta = Eigen::VectorXd::NullaryExpr(num_parameters, [&] { return uniform(rng); });
    out[silo] = d;
    rows += 150;
  }
  return out;
}

std::map<std::string, std::vector<uint64_t>> StatisticsInputs(
    const std::map<std::string, SiloData>& silos) {
  std::map<std::string, std::vector<uint64_t>> out;
  for (const auto& [name, d] : silos) {
    const Eigen::VectorXd v = d.statistics.ToVector();
    std::vector<double> values(v.data(), v.data() + v.size());
    values.push_back(static_cast<double>(d.rows));
    out[name] = secagg::EncodeFixedPoint(values, secagg::kStatisticsFractionalBits);
  }
  return out;
}

std::map<std::string, std::vector<uint64_t>> TrainingInputs(
    const std::map<std::string, SiloData>& silos, int64_t total_rows,
    const secagg::QuantizationConfig& quantization) {
  std::mt19937_64 rng(7);
  std::map<std::string, std::vector<uint64_t>> out;
  for (const auto& [name, d] : silos) {
    const double w = static_cast<double>(d.rows) / static_cast<double>(total_rows);
    std::vector<double> values;
    for (Eigen::Index i = 0; i < d.delta.size(); ++i) values.push_back(w * d.delta[i]);
    values.push_back(w);
    out[name] = secagg::Quantize(values, quantization, [&rng] { return rng(); });
  }
  return out;
}

class RoundStateTest : public ::testing::Test {
 protected:
  std::unique_ptr<RoundState> MakeRound(const std::string& id, nlohmann::json json) {
    return std::make_unique<RoundState>(fl::ParseRoundConfig(json, id), env_.services());
  }

  // Checks the stored model against the weighted mean of the contributors'
  // deltas, within the quantization error of numerator and denominator.
  void ExpectWeightedMean(const RoundState& round, const std::map<std::string, SiloData>& silos,
                          const std::set<std::string>& contributors, int64_t total_rows) {
    ASSERT_TRUE(round.model_digest().has_value()) << round.Status().dump();
    const auto bytes = env_.store().Get(*round.model_digest());
    ASSERT_TRUE(bytes.has_value());
    const model::LoadedModel loaded = model::ParseModel(*bytes, "result");
    const auto base = env_.store().Get(round.base_model());
    const Eigen::VectorXd base_params = model::ParseModel(*base, "base").model->Parameters();

    const Eigen::Index d = base_params.size();
    Eigen::VectorXd numerator = Eigen::VectorXd::Zero(d);
    double weight = 0;
    for (const auto& name : contributors) {
      const double w = static_cast<double>(silos.at(name).rows) / static_cast<double>(total_rows);
      numerator += w * silos.at(name).delta;
      weight += w;
    }
    const Eigen::VectorXd expected = base_params + numerator / weight;
    const double e = secagg::QuantizationErrorBound(round.config().quantization,
                                                    static_cast<int64_t>(contributors.size()));
    const Eigen::VectorXd& got = loaded.model->Parameters();
    ASSERT_EQ(got.size(), d);
    for (Eigen::Index i = 0; i < d; ++i) {
      const double mean = numerator[i] / weight;
      const double bound = (e + std::abs(mean) * e) / (weight - e) + 1e-12;
      EXPECT_NEAR(got[i], expected[i], bound) << "parameter " << i;
    }
    // The quantized sum is not the exact one, but it is close to it.
    EXPECT_GT((got - base_params).norm(), 0.1);
  }

  // Runs the statistics stage, then training with the silos in `drop`
  // leaving before their masked input. Returns the silos' data; sets the
  // federation's row count.
  std::map<std::string, SiloData> RunThroughTraining(RoundState& round,
                                                     const std::set<std::string>& drop,
                                                     int64_t* total_rows) {
    const uint64_t d = round.VectorLength(Stage::kTraining) - 1;
    auto silos = MakeSilos(static_cast<Eigen::Index>(d));
    *total_rows = 0;
    for (const auto& [name, s] : silos) *total_rows += s.rows;
    RunStage(round, Stage::kStatistics, StatisticsInputs(silos), {}, env_);
    RunStage(round, Stage::kTraining,
             TrainingInputs(silos, *total_rows, round.config().quantization), drop, env_);
    return silos;
  }

  TestEnv env_;
};

TEST_F(RoundStateTest, ThreeSilosRunStatisticsThenTraining) {
  auto round = MakeRound("r1", TestConfig(kSilos));
  EXPECT_EQ(round->Status()["stages"], nlohmann::json({"statistics", "training"}));
  EXPECT_EQ(round->Status()["phase"], "statistics/advertise-keys");
  EXPECT_EQ(round->VectorLength(Stage::kStatistics), 3u * 2 + 1);
  // logistic over tenure, spend and plan (basic, pro, other): 5 weights + bias.
  const uint64_t d = round->VectorLength(Stage::kTraining) - 1;
  ASSERT_GT(d, 0u);
  EXPECT_FALSE(round->StatisticsResult().has_value());

  const auto silos = MakeSilos(static_cast<Eigen::Index>(d));
  RunStage(*round, Stage::kStatistics, StatisticsInputs(silos), {}, env_);
  const auto result = round->StatisticsResult();
  ASSERT_TRUE(result.has_value()) << round->Status().dump();
  data::FeatureStatistics expected({"tenure", "spend"});
  int64_t total_rows = 0;
  for (const auto& [name, s] : silos) {
    expected += s.statistics;
    total_rows += s.rows;
  }
  EXPECT_EQ((*result)["rows"], total_rows);
  const auto got = data::FeatureStatistics::FromJson((*result)["statistics"], "result");
  for (Eigen::Index i = 0; i < 2; ++i) {
    EXPECT_EQ(got.Count(i), expected.Count(i));
    EXPECT_NEAR(got.Sum(i), expected.Sum(i), 1e-5);
    EXPECT_NEAR(got.SumOfSquares(i), expected.SumOfSquares(i), 1e-5);
  }
  EXPECT_EQ(round->Status()["phase"], "training/advertise-keys");

  RunStage(*round, Stage::kTraining,
           TrainingInputs(silos, total_rows, round->config().quantization), {}, env_);
  const auto status = round->Status();
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["contributors"].size(), 3u);
  EXPECT_TRUE(status["dropped"].empty());
  ExpectWeightedMean(*round, silos, {kSilos.begin(), kSilos.end()}, total_rows);

  // The card carries the federation's statistics and the lineage.
  const auto loaded = model::ParseModel(*env_.store().Get(*round->model_digest()), "result");
  EXPECT_EQ(loaded.card.lineage["baseModel"], round->base_model());
  EXPECT_EQ(loaded.card.lineage["round"], "r1");
  EXPECT_EQ(loaded.card.lineage["federationRows"], total_rows);
  EXPECT_EQ(data::FeatureStatistics::FromJson(loaded.card.feature_statistics, "card").Count(0),
            expected.Count(0));
  EXPECT_EQ(loaded.card.privacy["noiseMultiplier"], 1.1);

  // The release is on record, charged to every contributor.
  const auto records = env_.release_log().Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].digest, *round->model_digest());
  EXPECT_EQ(records[0].silos.size(), 3u);
  const std::string metrics = env_.metrics().Render();
  EXPECT_NE(metrics.find("fedcrm_rounds_total{result=\"succeeded\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("fedcrm_privacy_epsilon_spent{silo=\"eu-west\"}"), std::string::npos);
  EXPECT_NE(metrics.find("fedcrm_round_phase_duration_seconds_count{phase=\"training/unmask\"} 1"),
            std::string::npos);

  // A round based on the new model skips the statistics stage and serves
  // the statistics its base model recorded.
  auto config = TestConfig(kSilos);
  config["baseModel"] = *round->model_digest();
  auto next = MakeRound("r2", config);
  EXPECT_EQ(next->Status()["stages"], nlohmann::json({"training"}));
  EXPECT_FALSE(next->HasStage(Stage::kStatistics));
  ASSERT_TRUE(next->StatisticsResult().has_value());
  EXPECT_EQ((*next->StatisticsResult())["rows"], total_rows);
  EXPECT_EQ(next->Status()["phase"], "training/advertise-keys");
}

TEST_F(RoundStateTest, DropoutAtMaskedInputRenormalizesOverSurvivors) {
  auto round = MakeRound("r-drop", TestConfig(kSilos));
  int64_t total_rows = 0;
  const auto silos = RunThroughTraining(*round, {"us-east"}, &total_rows);
  const auto status = round->Status();
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["dropped"], nlohmann::json({"us-east"}));
  ExpectWeightedMean(*round, silos, {"eu-west", "ap-south"}, total_rows);
  // Only the contributors are charged.
  const auto records = env_.release_log().Records();
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].silos.size(), 2u);
  for (const auto& charge : records[0].silos) EXPECT_NE(charge.silo, "us-east");
  EXPECT_NE(env_.metrics().Render().find("fedcrm_round_dropouts_total 1"), std::string::npos);
}

// Each silo's evaluation sums of `model` on made-up held-out rows.
std::map<std::string, model::EvaluationSums> HeldOutSums(const model::Model& model,
                                                         const std::vector<std::string>& silos) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::map<std::string, model::EvaluationSums> out;
  for (size_t s = 0; s < silos.size(); ++s) {
    data::Dataset rows;
    rows.num_classes = 2;
    rows.x.resize(static_cast<Eigen::Index>(40 + 30 * s), model.spec().input_dim);
    rows.y.resize(rows.x.rows());
    for (Eigen::Index i = 0; i < rows.x.rows(); ++i) {
      for (Eigen::Index j = 0; j < rows.x.cols(); ++j) rows.x(i, j) = normal(rng);
      rows.y(i) = rows.x(i, 0) + normal(rng) > 0 ? 1 : 0;
    }
    out.emplace(silos[s], model::EvaluationSums::Compute(model, rows));
  }
  return out;
}

std::map<std::string, std::vector<uint64_t>> EvaluationInputs(
    const std::map<std::string, model::EvaluationSums>& sums) {
  std::map<std::string, std::vector<uint64_t>> out;
  for (const auto& [name, s] : sums) {
    out[name] = secagg::EncodeFixedPoint(s.ToVector(), secagg::kStatisticsFractionalBits);
  }
  return out;
}

class EvaluationStageTest : public RoundStateTest {
 protected:
  // A round with an evaluation stage, run through statistics and training
  // with us-east dropping out of training: its model is released.
  std::unique_ptr<RoundState> ReleasedRound(const std::string& id) {
    auto config = TestConfig(kSilos);
    config["evaluation"] = {{"holdoutFraction", 0.2}};
    auto round = MakeRound(id, config);
    int64_t total_rows = 0;
    RunThroughTraining(*round, {"us-east"}, &total_rows);
    return round;
  }

  model::LoadedModel Released(const RoundState& round) {
    const std::string digest = round.Status()["model"];
    return model::ParseModel(*env_.store().Get(digest), "released");
  }
};

TEST_F(EvaluationStageTest, ScoresTheReleasedModelAmongItsContributors) {
  auto round = ReleasedRound("r-eval");
  EXPECT_EQ(round->Status()["stages"], nlohmann::json({"statistics", "training", "evaluation"}));
  EXPECT_EQ(round->VectorLength(Stage::kEvaluation), model::EvaluationSums::VectorLength(2));
  EXPECT_EQ(round->ModulusBits(Stage::kEvaluation), 64);

  // Released and charged, but not yet succeeded: the model is being scored.
  auto status = round->Status();
  ASSERT_EQ(status["phase"], "evaluation/advertise-keys") << status.dump();
  ASSERT_TRUE(status["model"].is_string());
  EXPECT_FALSE(round->model_digest().has_value());
  EXPECT_EQ(env_.release_log().Records().size(), 1u);
  const std::string digest = status["model"];
  const model::LoadedModel released = Released(*round);

  // us-east dropped out of training, so it is not on the evaluation's roster.
  const auto sums = HeldOutSums(*released.model, {"ap-south", "eu-west"});
  EXPECT_THROW(round->Accept(Stage::kEvaluation, Upload::kKeys, "us-east",
                             testing::Span(secagg::Bytes{1, 2, 3})),
               Error);
  RunStage(*round, Stage::kEvaluation, EvaluationInputs(sums), {}, env_);
  status = round->Status();
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["model"], digest);
  EXPECT_TRUE(status["evaluationFailure"].is_null());

  model::EvaluationSums pooled(2);
  for (const auto& [name, s] : sums) pooled += s;
  const model::Evaluation expected = pooled.ToEvaluation();
  const auto& evaluation = status["evaluation"];
  EXPECT_EQ(evaluation["examples"], pooled.examples());
  EXPECT_EQ(evaluation["primaryMetric"]["name"], "roc_auc");
  EXPECT_NEAR(evaluation["primaryMetric"]["value"].get<double>(), expected.roc_auc, 1e-9);
  EXPECT_NEAR(evaluation["metrics"]["accuracy"].get<double>(), expected.accuracy, 1e-9);
  // Fixed point carries 2^-20 per silo in the summed log loss.
  EXPECT_NEAR(evaluation["metrics"]["log_loss"].get<double>(), expected.log_loss, 1e-6);
  EXPECT_EQ(evaluation["metrics"].size(), 5u);
  EXPECT_EQ(evaluation["silos"], nlohmann::json({"ap-south", "eu-west"}));
  EXPECT_GT(expected.roc_auc, 0.5);

  // On record for a restarted aggregator, and exported per model line.
  ReleaseLog reopened(env_.dir() / "releases.jsonl");
  const auto record = reopened.Find("r-eval");
  ASSERT_TRUE(record.has_value());
  ASSERT_NE(record->evaluation, nullptr);
  EXPECT_EQ(*record->evaluation, evaluation);
  EXPECT_EQ(reopened.Spending().size(), 2u);  // the evaluation line charges nothing
  const std::string metrics = env_.metrics().Render();
  EXPECT_NE(metrics.find("fedcrm_model_metric{model_line=\"churn-test\",metric=\"roc_auc\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("fedcrm_rounds_total{result=\"succeeded\"} 1"), std::string::npos);
}

TEST_F(EvaluationStageTest, AFailedEvaluationLeavesTheReleasedModelWithoutMetrics) {
  auto round = ReleasedRound("r-eval-fail");
  const std::string digest = round->Status()["model"];

  // Of the two contributors only one sends its keys: below the threshold.
  const secagg::Round params({"r-eval-fail/evaluation",
                              {"ap-south", "eu-west"},
                              0,
                              {},
                              64,
                              round->VectorLength(Stage::kEvaluation)});
  secagg::SecAggClient only(params, "eu-west");
  round->Accept(Stage::kEvaluation, Upload::kKeys, "eu-west",
                testing::Span(secagg::Encode(only.advertise())));
  env_.Advance(std::chrono::seconds(61));
  round->Tick();

  const auto status = round->Status();
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["model"], digest);
  EXPECT_EQ(round->model_digest(), digest);
  EXPECT_TRUE(status["evaluation"].is_null());
  EXPECT_NE(status["evaluationFailure"].get<std::string>().find("evaluation stage"),
            std::string::npos);
  EXPECT_TRUE(status["failure"].is_null());
  const auto records = env_.release_log().Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].evaluation, nullptr);
  EXPECT_EQ(records[0].silos.size(), 2u);
}

TEST_F(RoundStateTest, TooFewSilosFailTheRound) {
  auto round = MakeRound("r-fail", TestConfig(kSilos));
  const secagg::Round params(
      {"r-fail/statistics", kSilos, 0, {}, 64, round->VectorLength(Stage::kStatistics)});
  secagg::SecAggClient only(params, "eu-west");
  round->Accept(Stage::kStatistics, Upload::kKeys, "eu-west",
                testing::Span(secagg::Encode(only.advertise())));
  env_.Advance(std::chrono::seconds(61));
  round->Tick();
  const auto status = round->Status();
  EXPECT_EQ(status["phase"], "failed");
  EXPECT_NE(status["failure"].get<std::string>().find("threshold"), std::string::npos);
  EXPECT_THROW(round->Accept(Stage::kStatistics, Upload::kKeys, "eu-west",
                             testing::Span(secagg::Encode(only.advertise()))),
               RoundError);
  EXPECT_NE(env_.metrics().Render().find("fedcrm_rounds_total{result=\"failed\"} 1"),
            std::string::npos);
}

TEST_F(RoundStateTest, ServerOptimizerStateIsKeptPerModelLine) {
  auto config = TestConfig(kSilos);
  config["aggregation"]["serverOptimizer"] = {{"type", "fedadam"}, {"learningRate", 0.1}};
  auto round = MakeRound("r-adam", config);
  const uint64_t d = round->VectorLength(Stage::kTraining) - 1;
  const auto silos = MakeSilos(static_cast<Eigen::Index>(d));
  int64_t total_rows = 0;
  for (const auto& [name, s] : silos) total_rows += s.rows;
  RunStage(*round, Stage::kStatistics, StatisticsInputs(silos), {}, env_);
  RunStage(*round, Stage::kTraining,
           TrainingInputs(silos, total_rows, round->config().quantization), {}, env_);
  ASSERT_EQ(round->Status()["phase"], "succeeded") << round->Status().dump();
  const auto state = env_.optimizer_states().Load("churn-test");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ((*state)["type"], "fedadam");
  EXPECT_EQ((*state)["m"].size(), d);
}

TEST_F(RoundStateTest, UnknownBaseModelIsAConfigError) {
  auto config = TestConfig(kSilos);
  config["baseModel"] = "sha256:" + std::string(64, 'a');
  EXPECT_THROW(MakeRound("r-missing", config), ConfigError);
}

}  // namespace
}  // namespace fedcrm::aggregator
