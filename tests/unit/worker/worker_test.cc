// The worker pipeline end to end: a real fedcrm-aggregator (in-process
// AggregatorService, mutual TLS on loopback) and three silos calling
// RunWorker on their own threads, as three Jobs would.
#include "worker/worker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "aggregator/aggregator_service.h"
#include "core/data/encoder.h"
#include "core/data/feature_schema.h"
#include "core/data/row_split.h"
#include "core/data/synthetic/generator.h"
#include "core/data/table.h"
#include "core/model/evaluation_sums.h"
#include "core/model/model_file.h"
#include "runtime/certificates.h"
#include "tests/unit/worker/test_pki.h"

namespace fedcrm::worker {
namespace {

namespace fs = std::filesystem;
using testing::TestPki;

constexpr char kCoordinator[] = "fedcrm-operator";

// Captures what the process-wide logger writes to std::cerr.
class CaptureStderr {
 public:
  CaptureStderr() : old_(std::cerr.rdbuf(captured_.rdbuf())) {}
  ~CaptureStderr() { std::cerr.rdbuf(old_); }
  std::string text() const { return captured_.str(); }

 private:
  std::stringstream captured_;
  std::streambuf* old_;
};

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("fedcrm_worker_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    regions_ = data::synthetic::Regions("churn");
    regions_.resize(3);
    for (const std::string& region : regions_) WriteSilo(region);
    Write("ca.pem", TestPki::Get().ca().certificate_pem());

    aggregator::AggregatorOptions options;
    options.certificate_pem = TestPki::Get().server().certificate_pem;
    options.private_key_pem = TestPki::Get().server().private_key_pem;
    options.ca_pem = TestPki::Get().ca().certificate_pem();
    options.data_dir = dir_ / "aggregator";
    options.coordinator_identity = kCoordinator;
    options.tick_period = std::chrono::milliseconds(20);
    service_ = std::make_unique<aggregator::AggregatorService>(std::move(options));
    service_->Start();
    coordinator_ = TestPki::Get().ClientFor(kCoordinator);
  }

  void TearDown() override {
    service_->Stop(std::chrono::seconds(2));
    fs::remove_all(dir_);
  }

  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  void WriteCertificate(const std::string& identity) const {
    const runtime::IssuedCertificate& cert = TestPki::Get().Client(identity);
    Write(identity + ".crt", cert.certificate_pem);
    Write(identity + ".key", cert.private_key_pem);
  }

  void WriteSilo(const std::string& region) {
    WriteCertificate(region);
    std::ofstream csv(dir_ / (region + ".csv"));
    data::synthetic::GenerateCsv({"churn", region, 200, 11}, csv);
  }

  std::string Url() const { return "https://127.0.0.1:" + std::to_string(service_->tls_port()); }

  void PutRound(const std::string& round, int masked_input_seconds = 20,
                const std::string& base_model = "", const nlohmann::json& extra = {}) {
    nlohmann::json silos = nlohmann::json::array();
    for (const std::string& region : regions_) silos.push_back({{"name", region}});
    const nlohmann::json config = {
        {"modelLine", "churn-worker-test"},
        {"task", "churn"},
        {"schema", data::synthetic::DefaultSchema("churn")},
        {"model",
         {{"type", "logistic"}, {"l2", 0.0001}, {"hiddenLayers", nlohmann::json::array()}}},
        {"baseModel", base_model.empty() ? nlohmann::json(nullptr) : nlohmann::json(base_model)},
        {"seed", 7},
        {"training", {{"localSteps", 5}, {"learningRate", 0.5}, {"batchSize", 64}}},
        {"privacy",
         {{"noiseMultiplier", 1.0}, {"clipNorm", 1.0}, {"samplingRate", 0.1}, {"delta", 1e-5}}},
        {"aggregation", {{"weighting", "records"}}},
        {"secureAggregation",
         {{"modulusBits", 32}, {"quantization", {{"clip", 8.0}, {"levelsBits", 16}}}}},
        {"silos", silos},
        {"deadlines", {{"phaseSeconds", 20}, {"maskedInputSeconds", masked_input_seconds}}}};
    nlohmann::json body = config;
    if (extra.is_object()) body.merge_patch(extra);
    const runtime::ClientResponse response = coordinator_->Send(
        "PUT", Url() + "/v1/rounds/" + round, body.dump(), "application/json", {});
    ASSERT_EQ(response.status, 201) << response.body;
  }

  nlohmann::json Status(const std::string& round) const {
    const runtime::ClientResponse response = coordinator_->Get(Url() + "/v1/rounds/" + round);
    EXPECT_EQ(response.status, 200) << response.body;
    return nlohmann::json::parse(response.body);
  }

  WorkerOptions OptionsFor(const std::string& region, const std::string& round) const {
    WorkerOptions options;
    options.aggregator_url = Url();
    options.round = round;
    options.silo = region;
    options.data_path = (dir_ / (region + ".csv")).string();
    options.tls_cert_path = (dir_ / (region + ".crt")).string();
    options.tls_key_path = (dir_ / (region + ".key")).string();
    options.ca_path = (dir_ / "ca.pem").string();
    options.seed = 5;
    options.poll_interval = std::chrono::milliseconds(20);
    options.timeout = std::chrono::seconds(30);
    return options;
  }

  // Runs every silo on its own thread; exit codes in region order.
  std::vector<int> RunAll(const std::vector<WorkerOptions>& all) const {
    std::vector<std::future<int>> runs;
    for (const WorkerOptions& options : all) {
      runs.push_back(std::async(std::launch::async, [options] { return RunWorker(options); }));
    }
    std::vector<int> codes;
    for (auto& run : runs) codes.push_back(run.get());
    return codes;
  }

  fs::path dir_;
  std::vector<std::string> regions_;
  std::unique_ptr<aggregator::AggregatorService> service_;
  std::unique_ptr<runtime::HttpsClient> coordinator_;
};

TEST_F(WorkerTest, ThreeSilosProduceANewModelVersion) {
  PutRound("churn-r1");
  std::vector<WorkerOptions> all;
  for (const std::string& region : regions_) {
    all.push_back(OptionsFor(region, "churn-r1"));
    all.back().test_fraction = 0.25;  // 50 of each silo's 200 rows held out
  }
  EXPECT_EQ(RunAll(all), (std::vector<int>{0, 0, 0}));

  const nlohmann::json status = Status("churn-r1");
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["stages"], (nlohmann::json{"statistics", "training"}));
  EXPECT_EQ(status["contributors"].size(), 3u);

  const std::string digest = status["model"].get<std::string>();
  const runtime::ClientResponse file = coordinator_->Get(Url() + "/v1/models/" + digest);
  ASSERT_EQ(file.status, 200);
  const model::LoadedModel trained = model::ParseModel(file.body, "trained");
  const model::LoadedModel base = model::ParseModel(
      coordinator_->Get(Url() + "/v1/models/" + status["baseModel"].get<std::string>()).body,
      "base");
  EXPECT_GT((trained.model->Parameters() - base.model->Parameters()).norm(), 1e-6);
  // The secure statistics sum counted every silo's training rows, no test row.
  EXPECT_EQ(trained.card.lineage.value("federationRows", 0), 450) << trained.card.lineage.dump();
}

TEST_F(WorkerTest, RoundFromAModelWithStatisticsSkipsTheStatisticsStage) {
  PutRound("churn-r1");
  std::vector<WorkerOptions> all;
  for (const std::string& region : regions_) all.push_back(OptionsFor(region, "churn-r1"));
  ASSERT_EQ(RunAll(all), (std::vector<int>{0, 0, 0}));
  const std::string first = Status("churn-r1")["model"].get<std::string>();

  PutRound("churn-r2", 20, first);
  for (WorkerOptions& options : all) options.round = "churn-r2";
  EXPECT_EQ(RunAll(all), (std::vector<int>{0, 0, 0}));
  const nlohmann::json status = Status("churn-r2");
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["stages"], (nlohmann::json{"training"}));
  EXPECT_EQ(status["baseModel"], first);
  EXPECT_NE(status["model"], first);
}

TEST_F(WorkerTest, SiloDroppingBeforeMaskedInputLeavesTheOthersToFinish) {
  PutRound("churn-r2", /*masked_input_seconds=*/1);
  std::vector<WorkerOptions> all;
  for (const std::string& region : regions_) all.push_back(OptionsFor(region, "churn-r2"));
  all[1].fail_at = "training/masked";
  EXPECT_EQ(RunAll(all), (std::vector<int>{0, kSimulatedDropoutExitCode, 0}));
  const nlohmann::json status = Status("churn-r2");
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["contributors"].size(), 2u) << status.dump();
  EXPECT_NE(status["dropped"].dump().find(regions_[1]), std::string::npos) << status.dump();
}

// What the evaluation stage should find: the released model scored on every
// silo's held-out rows, pooled (what no one party could compute in practice).
model::Evaluation PooledHeldOutEvaluation(const model::LoadedModel& released,
                                          const std::vector<std::string>& regions,
                                          const fs::path& dir, double holdout) {
  const data::FeatureSchema schema =
      data::FeatureSchema::FromJson(released.card.schema, "released card: schema");
  const data::FeatureStatistics statistics =
      data::FeatureStatistics::FromJson(released.card.feature_statistics, "released card");
  model::EvaluationSums pooled(2);
  for (const std::string& region : regions) {
    const data::ParsedTable table = data::ReadTableFile((dir / (region + ".csv")).string(), schema);
    const data::RowSplit split = data::SplitRows(table.rows(), holdout, /*seed=*/0);
    pooled += model::EvaluationSums::Compute(
        *released.model, data::Encode(table.Subset(split.test), schema, statistics));
  }
  return pooled.ToEvaluation();
}

TEST_F(WorkerTest, EvaluationStageReportsTheFederationsHeldOutMetrics) {
  PutRound("churn-eval", 20, "", {{"evaluation", {{"holdoutFraction", 0.25}}}});
  std::vector<WorkerOptions> all;
  for (const std::string& region : regions_) all.push_back(OptionsFor(region, "churn-eval"));
  EXPECT_EQ(RunAll(all), (std::vector<int>{0, 0, 0}));

  const nlohmann::json status = Status("churn-eval");
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["stages"], (nlohmann::json{"statistics", "training", "evaluation"}));
  const nlohmann::json& evaluation = status["evaluation"];
  ASSERT_TRUE(evaluation.is_object()) << status.dump();
  EXPECT_EQ(evaluation["examples"], 150);  // 50 of each silo's 200 rows
  const model::LoadedModel released = model::ParseModel(
      coordinator_->Get(Url() + "/v1/models/" + status["model"].get<std::string>()).body,
      "released");
  EXPECT_EQ(released.card.lineage.value("federationRows", 0), 450);  // no held-out row trained
  const model::Evaluation expected = PooledHeldOutEvaluation(released, regions_, dir_, 0.25);
  EXPECT_EQ(evaluation["primaryMetric"]["name"], "roc_auc");
  EXPECT_NEAR(evaluation["primaryMetric"]["value"].get<double>(), expected.roc_auc, 1e-9);
  EXPECT_NEAR(evaluation["metrics"]["accuracy"].get<double>(), expected.accuracy, 1e-9);
  EXPECT_NEAR(evaluation["metrics"]["log_loss"].get<double>(), expected.log_loss, 1e-5);
}

TEST_F(WorkerTest, ASiloLostDuringEvaluationCostsOnlyItsRows) {
  PutRound("churn-eval-drop", 20, "",
           {{"evaluation", {{"holdoutFraction", 0.25}}}, {"deadlines", {{"phaseSeconds", 4}}}});
  std::vector<WorkerOptions> all;
  for (const std::string& region : regions_) all.push_back(OptionsFor(region, "churn-eval-drop"));
  all[2].fail_at = "evaluation/masked";
  EXPECT_EQ(RunAll(all), (std::vector<int>{0, 0, kSimulatedDropoutExitCode}));
  const nlohmann::json status = Status("churn-eval-drop");
  ASSERT_EQ(status["phase"], "succeeded") << status.dump();
  EXPECT_EQ(status["contributors"].size(), 3u);  // all three trained: all three are charged
  ASSERT_TRUE(status["evaluation"].is_object()) << status.dump();
  EXPECT_EQ(status["evaluation"]["examples"], 100);
  EXPECT_EQ(status["evaluation"]["silos"].size(), 2u);
}

TEST_F(WorkerTest, TestFractionFlagMustAgreeWithTheRoundsHoldout) {
  PutRound("churn-eval-flag", 20, "", {{"evaluation", {{"holdoutFraction", 0.25}}}});
  WorkerOptions options = OptionsFor(regions_[0], "churn-eval-flag");
  options.test_fraction = 0.3;
  CaptureStderr capture;
  EXPECT_EQ(RunWorker(options), kExitFailure);
  EXPECT_NE(capture.text().find("--test-fraction"), std::string::npos) << capture.text();
  EXPECT_NE(capture.text().find("holdoutFraction"), std::string::npos) << capture.text();
}

TEST_F(WorkerTest, CertificateOfAnotherSiloIsRefusedBeforeAnyRequest) {
  WorkerOptions options = OptionsFor(regions_[0], "no-such-round");
  options.tls_cert_path = (dir_ / (regions_[1] + ".crt")).string();
  CaptureStderr capture;
  EXPECT_EQ(RunWorker(options), kExitFailure);
  EXPECT_NE(capture.text().find("does not match the identity '" + regions_[1] + "'"),
            std::string::npos)
      << capture.text();
}

TEST_F(WorkerTest, SiloOffTheRosterGetsTheServersRefusal) {
  PutRound("churn-r3");
  WriteCertificate("intruder");
  WorkerOptions options = OptionsFor("intruder", "churn-r3");
  options.data_path = (dir_ / (regions_[0] + ".csv")).string();
  CaptureStderr capture;
  EXPECT_EQ(RunWorker(options), kExitFailure);
  EXPECT_NE(capture.text().find("403"), std::string::npos) << capture.text();
}

TEST_F(WorkerTest, BadCsvFailsWithTheDataErrorAndSendsNothing) {
  PutRound("churn-r4");
  const nlohmann::json before = Status("churn-r4");
  WorkerOptions options = OptionsFor(regions_[0], "churn-r4");
  options.data_path = Write("broken.csv", "not,the,right,header\n1,2,3,4\n");
  CaptureStderr capture;
  EXPECT_EQ(RunWorker(options), kExitFailure);
  EXPECT_NE(capture.text().find("broken.csv"), std::string::npos) << capture.text();
  EXPECT_EQ(Status("churn-r4")["phase"], before["phase"]);
}

TEST_F(WorkerTest, UnreachableAggregatorFailsClearly) {
  WorkerOptions options = OptionsFor(regions_[0], "churn-r5");
  options.aggregator_url = "https://127.0.0.1:1";
  CaptureStderr capture;
  EXPECT_EQ(RunWorker(options), kExitFailure);
  EXPECT_NE(capture.text().find("unreachable"), std::string::npos) << capture.text();
}

TEST(SiloWeightTest, RecordsAreAFractionUniformIsOne) {
  EXPECT_DOUBLE_EQ(SiloWeight(fl::Weighting::kByRecords, 25, 100), 0.25);
  EXPECT_DOUBLE_EQ(SiloWeight(fl::Weighting::kUniform, 25, 100), 1.0);
  EXPECT_THROW(SiloWeight(fl::Weighting::kByRecords, 25, 0), ConfigError);
}

}  // namespace
}  // namespace fedcrm::worker
