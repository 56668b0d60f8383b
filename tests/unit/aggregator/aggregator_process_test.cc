// The fedcrm-aggregator binary as a process: it becomes ready on the ports it
// reports, and SIGTERM stops it cleanly with exit code 0.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cli/support/child_process.h"
#include "runtime/certificates.h"
#include "runtime/https_client.h"
#include "tests/unit/aggregator/test_round.h"

#ifndef FEDCRM_AGGREGATOR_BINARY
#error "FEDCRM_AGGREGATOR_BINARY must name the fedcrm-aggregator executable"
#endif

namespace fedcrm::aggregator {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// The metrics port from the "listening on https://..., metrics on http://H:P"
// line, once the process has printed it; 0 before.
uint16_t MetricsPort(const std::string& log) {
  const std::string marker = "metrics on http://127.0.0.1:";
  const size_t at = log.find(marker);
  if (at == std::string::npos) return 0;
  const size_t end = log.find('\n', at);
  if (end == std::string::npos) return 0;
  return static_cast<uint16_t>(std::stoi(log.substr(at + marker.size(), end - at - marker.size())));
}

class AggregatorProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto ca = runtime::CertificateAuthority::Create("throwaway CA", hours(1));
    const auto server =
        ca.Issue("aggregator", runtime::CertificateUsage::kServer, hours(1), {{}, {"127.0.0.1"}});
    ca_file_ = (env_.dir() / "ca.pem").string();
    cert_file_ = (env_.dir() / "server.pem").string();
    key_file_ = (env_.dir() / "server-key.pem").string();
    runtime::WritePemFile(ca_file_, ca.certificate_pem(), runtime::FileMode::kPublic);
    runtime::WritePemFile(cert_file_, server.certificate_pem, runtime::FileMode::kPublic);
    runtime::WritePemFile(key_file_, server.private_key_pem, runtime::FileMode::kSecret);
  }

  std::vector<std::string> Argv() const {
    return {FEDCRM_AGGREGATOR_BINARY,
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert_file_,
            "--tls-key",
            key_file_,
            "--ca",
            ca_file_,
            "--data-dir",
            (env_.dir() / "data").string()};
  }

  testing::TestEnv env_;
  std::string ca_file_, cert_file_, key_file_;
};

TEST_F(AggregatorProcessTest, BecomesReadyAndExitsZeroOnSigterm) {
  const fs::path log = env_.dir() / "aggregator.log";
  cli::ChildProcess process = cli::ChildProcess::Spawn(Argv(), log.string());
  uint16_t port = 0;
  for (int attempt = 0; attempt < 500 && port == 0; ++attempt) {
    if (auto code = process.TryWait()) FAIL() << "exited with " << *code << ":\n" << ReadFile(log);
    port = MetricsPort(ReadFile(log));
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(port, 0) << "never reported its ports:\n" << ReadFile(log);

  runtime::HttpsClient plain(runtime::ClientOptions{});
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(plain.Get(base + "/readyz").status, 200);
  EXPECT_EQ(plain.Get(base + "/healthz").status, 200);
  EXPECT_EQ(plain.Get(base + "/metrics").status, 200);

  // SIGTERM first; SIGKILL only if it has not exited after the grace period,
  // which would show as 137.
  EXPECT_EQ(process.Stop(std::chrono::seconds(10)), 0) << ReadFile(log);
  const std::string output = ReadFile(log);
  EXPECT_NE(output.find("\"SIGTERM\""), std::string::npos) << output;
  EXPECT_NE(output.find("\"stopped\""), std::string::npos) << output;
  EXPECT_TRUE(fs::exists(env_.dir() / "data" / "releases.jsonl"));
}

TEST_F(AggregatorProcessTest, MissingFlagExitsTwoNamingIt) {
  std::vector<std::string> argv = Argv();
  argv.resize(argv.size() - 2);  // no --data-dir
  const fs::path log = env_.dir() / "bad.log";
  cli::ChildProcess process = cli::ChildProcess::Spawn(argv, log.string());
  EXPECT_EQ(process.Wait(std::chrono::seconds(10)).value_or(-1), 2);
  EXPECT_NE(ReadFile(log).find("--data-dir"), std::string::npos) << ReadFile(log);
}

}  // namespace
}  // namespace fedcrm::aggregator
