// A worker whose client certificate names another silo than --silo stops
// with a clear message and a failing exit code, and the aggregator, which
// refuses such callers on its side too, keeps serving everyone else.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/support/child_process.h"
#include "core/data/synthetic/generator.h"
#include "core/fl/round_config.h"
#include "runtime/certificates.h"
#include "runtime/https_client.h"
#include "tests/integration/integration_support.h"

namespace fedcrm::integration {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kCoordinator[] = "integration-coordinator";
constexpr char kRound[] = "identity-r1";

struct Credentials {
  std::string cert, key;
  runtime::TlsClientOptions tls;
};

Credentials Issue(const runtime::CertificateAuthority& ca, const fs::path& dir,
                  const std::string& identity, runtime::CertificateUsage usage,
                  const runtime::SubjectAltNames& sans = {}) {
  const runtime::IssuedCertificate issued = ca.Issue(identity, usage, std::chrono::hours(1), sans);
  Credentials credentials{(dir / (identity + ".crt")).string(),
                          (dir / (identity + ".key")).string(),
                          {ca.certificate_pem(), issued.certificate_pem, issued.private_key_pem}};
  runtime::WritePemFile(credentials.cert, issued.certificate_pem, runtime::FileMode::kPublic);
  runtime::WritePemFile(credentials.key, issued.private_key_pem, runtime::FileMode::kSecret);
  return credentials;
}

// The TLS port from the aggregator's {"msg":"listening","tls_port":N} line.
std::optional<uint16_t> ListeningPort(cli::ChildProcess& aggregator) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::chrono::steady_clock::now() < deadline && !aggregator.TryWait()) {
    std::ifstream log(aggregator.log_path());
    for (std::string line; std::getline(log, line);) {
      const auto json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() && json.contains("tls_port")) return json["tls_port"].get<uint16_t>();
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return std::nullopt;
}

nlohmann::json RoundForTwoSilos() {
  const sim::SimulationConfig simulation = ChurnConfig(200);
  fl::RoundConfig round;
  round.model_line = "identity";
  round.task = simulation.task;
  round.schema = simulation.schema;
  round.model = simulation.model;
  round.training = simulation.training;
  round.silos = {{"eu-west", 3.0, 1e-5}, {"us-east", 3.0, 1e-5}};
  return fl::RoundConfigToJson(round);
}

TEST(WorkerIdentityTest, CertificateOfAnotherSiloIsRefusedAndTheAggregatorKeepsServing) {
  ScratchDir scratch;
  const fs::path tls_dir = scratch.path() / "tls";
  fs::create_directories(tls_dir);
  const auto ca = runtime::CertificateAuthority::Create("integration CA", std::chrono::hours(1));
  const std::string ca_file = (tls_dir / "ca.crt").string();
  runtime::WritePemFile(ca_file, ca.certificate_pem(), runtime::FileMode::kPublic);
  const Credentials server =
      Issue(ca, tls_dir, "fedcrm-aggregator", runtime::CertificateUsage::kServer,
            {{"localhost"}, {"127.0.0.1"}});
  const Credentials coordinator =
      Issue(ca, tls_dir, kCoordinator, runtime::CertificateUsage::kClient);
  const Credentials eu_west = Issue(ca, tls_dir, "eu-west", runtime::CertificateUsage::kClient);
  const Credentials intruder = Issue(ca, tls_dir, "intruder", runtime::CertificateUsage::kClient);

  cli::ChildProcess aggregator = cli::ChildProcess::Spawn(
      {(BinDir() / "fedcrm-aggregator").string(), "--listen", "127.0.0.1:0", "--metrics-listen",
       "127.0.0.1:0", "--tls-cert", server.cert, "--tls-key", server.key, "--ca", ca_file,
       "--data-dir", (scratch.path() / "store").string(), "--coordinator-identity", kCoordinator},
      (scratch.path() / "aggregator.log").string());
  const std::optional<uint16_t> port = ListeningPort(aggregator);
  ASSERT_TRUE(port) << ReadFile(aggregator.log_path());
  const std::string base_url = "https://127.0.0.1:" + std::to_string(*port);
  const std::string round_url = base_url + "/v1/rounds/" + kRound;

  runtime::ClientOptions coordinator_options;
  coordinator_options.tls = coordinator.tls;
  const runtime::HttpsClient as_coordinator(coordinator_options);
  const auto put =
      as_coordinator.Send("PUT", round_url, RoundForTwoSilos().dump(), "application/json", {});
  ASSERT_EQ(put.status, 201) << put.body;

  const fs::path csv = scratch.path() / "us-east.csv";
  {
    std::ofstream out(csv, std::ios::binary);
    data::synthetic::GenerateCsv({"churn", "us", 200, 5}, out);
  }
  // us-east's worker holding eu-west's certificate.
  cli::ChildProcess worker = cli::ChildProcess::Spawn(
      {(BinDir() / "fedcrm-worker").string(), "--aggregator-url", base_url, "--round", kRound,
       "--silo", "us-east", "--data", csv.string(), "--tls-cert", eu_west.cert, "--tls-key",
       eu_west.key, "--ca", ca_file},
      (scratch.path() / "worker-us-east.log").string());
  const std::optional<int> code = worker.Wait(seconds(60));
  ASSERT_TRUE(code) << "the worker did not exit";
  EXPECT_NE(*code, 0);
  const std::string worker_log = ReadFile(worker.log_path());
  EXPECT_NE(worker_log.find("'us-east' does not match the identity 'eu-west'"), std::string::npos)
      << worker_log;

  // The aggregator refuses a certificate that is not on the roster ...
  runtime::ClientOptions intruder_options;
  intruder_options.tls = intruder.tls;
  EXPECT_EQ(runtime::HttpsClient(intruder_options).Get(round_url).status, 403);
  // ... and is still up and serving the round, untouched.
  EXPECT_FALSE(aggregator.TryWait().has_value()) << ReadFile(aggregator.log_path());
  const auto status = as_coordinator.Get(round_url);
  ASSERT_EQ(status.status, 200) << status.body;
  const auto json = nlohmann::json::parse(status.body);
  EXPECT_NE(json.value("phase", ""), "failed") << status.body;
  EXPECT_EQ(aggregator.Stop(seconds(10)), 0);
}

}  // namespace
}  // namespace fedcrm::integration
