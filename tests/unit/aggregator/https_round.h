// Test support: a whole round driven against a running AggregatorService the
// way workers do it, over real mutual-TLS HTTPS with SecAgg clients, plus a
// reader for the Prometheus text page the service renders.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/aggregator_service.h"
#include "core/data/feature_statistics.h"
#include "core/fl/round_config.h"
#include "core/secagg/fixed_point.h"
#include "core/secagg/quantization.h"
#include "core/secagg/secagg_client.h"
#include "runtime/certificates.h"
#include "runtime/https_client.h"

namespace fedcrm::aggregator::testing {

// A throwaway federation: CA, server certificate for 127.0.0.1, the
// coordinator's and each silo's client certificate.
struct TestPki {
  explicit TestPki(const std::vector<std::string>& silos)
      : ca(runtime::CertificateAuthority::Create("test federation CA", std::chrono::hours(1))),
        server(ca.Issue("aggregator", runtime::CertificateUsage::kServer, std::chrono::hours(1),
                        {{}, {"127.0.0.1"}})),
        coordinator(ca.Issue("fedcrm-operator", runtime::CertificateUsage::kClient,
                             std::chrono::hours(1))) {
    for (const auto& silo : silos) {
      clients.emplace(silo,
                      ca.Issue(silo, runtime::CertificateUsage::kClient, std::chrono::hours(1)));
    }
  }

  // Options for a service on loopback ports the kernel picks.
  AggregatorOptions Options(const std::filesystem::path& data_dir) const {
    AggregatorOptions options;
    options.certificate_pem = server.certificate_pem;
    options.private_key_pem = server.private_key_pem;
    options.ca_pem = ca.certificate_pem();
    options.data_dir = data_dir;
    options.threads = 4;
    // Deadlines of one second are passed within a few ticks.
    options.tick_period = std::chrono::milliseconds(50);
    return options;
  }

  runtime::CertificateAuthority ca;
  runtime::IssuedCertificate server;
  runtime::IssuedCertificate coordinator;
  std::map<std::string, runtime::IssuedCertificate> clients;
};

// A client that tallies the status codes and the protocol bytes it sent, so
// tests can hold the aggregator's own counters against them.
class CountingClient {
 public:
  CountingClient(const TestPki& pki, const runtime::IssuedCertificate& cert, std::string base,
                 std::map<int, int>* codes, size_t* bytes_posted)
      : client_(MakeOptions(pki, cert)),
        base_(std::move(base)),
        codes_(codes),
        bytes_posted_(bytes_posted) {}

  runtime::ClientResponse Send(const std::string& method, const std::string& path,
                               std::string body = "",
                               const std::string& type = "application/octet-stream") {
    if (method == "POST") *bytes_posted_ += body.size();
    runtime::ClientResponse response =
        client_.Send(method, base_ + path, std::move(body), type, {});
    ++(*codes_)[response.status];
    return response;
  }

  // GETs `path` until it stops answering 202 (at most ~10 s).
  runtime::ClientResponse Poll(const std::string& path) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      runtime::ClientResponse response = Send("GET", path);
      if (response.status != 202) return response;
      EXPECT_EQ(response.Header("Retry-After"), "1");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "still 202 after polling " << path;
    return {};
  }

 private:
  static runtime::ClientOptions MakeOptions(const TestPki& pki,
                                            const runtime::IssuedCertificate& cert) {
    runtime::ClientOptions options;
    options.tls = runtime::TlsClientOptions{pki.ca.certificate_pem(), cert.certificate_pem,
                                            cert.private_key_pem};
    options.connect_timeout = std::chrono::seconds(5);
    options.request_timeout = std::chrono::seconds(5);
    return options;
  }

  runtime::HttpsClient client_;
  std::string base_;
  std::map<int, int>* codes_;
  size_t* bytes_posted_;
};

inline std::string AsString(const secagg::Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}
inline std::span<const uint8_t> AsBytes(const std::string& body) {
  return {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
}

// Drives rounds against one running service, as the coordinator and as
// every silo of the roster.
class HttpsFederation {
 public:
  HttpsFederation(const TestPki& pki, uint16_t tls_port) {
    const std::string base = "https://127.0.0.1:" + std::to_string(tls_port);
    coordinator_ =
        std::make_unique<CountingClient>(pki, pki.coordinator, base, &codes_, &bytes_posted_);
    for (const auto& [silo, cert] : pki.clients) {
      silos_.emplace(silo,
                     std::make_unique<CountingClient>(pki, cert, base, &codes_, &bytes_posted_));
    }
  }

  CountingClient& coordinator() { return *coordinator_; }
  CountingClient& silo(const std::string& name) { return *silos_.at(name); }
  // Responses by status code, over every request sent so far.
  const std::map<int, int>& codes() const { return codes_; }
  // Bytes of every POST body, i.e. every protocol message uploaded.
  size_t bytes_posted() const { return bytes_posted_; }

  // Configures `round` and runs both stages with made-up statistics and
  // updates; silos in `drop` stop before their training masked input. Returns
  // the final status (after waiting for "succeeded" or "failed").
  nlohmann::json RunRound(const std::string& round, const nlohmann::json& config,
                          const std::set<std::string>& drop) {
    const auto put =
        coordinator_->Send("PUT", "/v1/rounds/" + round, config.dump(), "application/json");
    EXPECT_EQ(put.status, 201) << put.body;
    const fl::RoundConfig parsed = fl::ParseRoundConfig(config, round);
    const nlohmann::json status = nlohmann::json::parse(put.body);

    std::map<std::string, std::vector<uint64_t>> statistics;
    std::map<std::string, std::vector<uint64_t>> training;
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> uniform(-0.5, 0.5);
    const uint64_t d = status["vectorLengths"]["training"].get<uint64_t>() - 1;
    int64_t rows = 40;
    for (const auto& silo : parsed.Roster()) {
      data::FeatureStatistics stats({"tenure", "spend"});
      for (int64_t r = 0; r < rows; ++r) {
        stats.Add(0, 3.0 + r % 11);
        stats.Add(1, 0.5 * r);
      }
      const Eigen::VectorXd v = stats.ToVector();
      std::vector<double> values(v.data(), v.data() + v.size());
      values.push_back(static_cast<double>(rows));
      statistics[silo] = secagg::EncodeFixedPoint(values, secagg::kStatisticsFractionalBits);

      std::vector<double> update;
      for (uint64_t i = 0; i < d; ++i) update.push_back(uniform(rng) / 3);
      update.push_back(1.0 / 3);
      training[silo] = secagg::Quantize(update, parsed.quantization, [&rng] { return rng(); });
      rows += 25;
    }
    // A base model whose card holds statistics skips that stage.
    const auto& stages = status["stages"];
    if (std::find(stages.begin(), stages.end(), "statistics") != stages.end()) {
      RunStage(parsed, status, "statistics", statistics, {});
      const auto result =
          silo(parsed.Roster().front()).Poll("/v1/rounds/" + round + "/statistics/result");
      EXPECT_EQ(result.status, 200) << result.body;
    }
    RunStage(parsed, status, "training", training, drop);
    return WaitFinished(round);
  }

  nlohmann::json WaitFinished(const std::string& round) {
    nlohmann::json status;
    for (int attempt = 0; attempt < 500; ++attempt) {
      const auto got = coordinator_->Send("GET", "/v1/rounds/" + round);
      status = nlohmann::json::parse(got.body);
      if (status["phase"] == "succeeded" || status["phase"] == "failed") return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "round " << round << " did not finish: " << status.dump();
    return status;
  }

 private:
  void RunStage(const fl::RoundConfig& config, const nlohmann::json& status,
                const std::string& stage,
                const std::map<std::string, std::vector<uint64_t>>& inputs,
                const std::set<std::string>& drop) {
    secagg::RoundParameters params;
    params.round_id = config.round_id + "/" + stage;
    params.roster = config.Roster();
    params.threshold = config.threshold;
    params.graph = config.graph;
    params.modulus_bits = status["modulusBits"][stage].get<int>();
    params.vector_length = status["vectorLengths"][stage].get<uint64_t>();
    const secagg::Round secagg_round(params);
    const secagg::DecodeLimits limits{params.roster.size(), params.vector_length,
                                      params.modulus_bits};
    const std::string path = "/v1/rounds/" + config.round_id + "/" + stage + "/";
    auto expect_ok = [](const runtime::ClientResponse& r) { EXPECT_EQ(r.status, 200) << r.body; };

    std::map<std::string, std::unique_ptr<secagg::SecAggClient>> clients;
    for (const auto& [name, input] : inputs) {
      clients[name] = std::make_unique<secagg::SecAggClient>(secagg_round, name);
      expect_ok(silo(name).Send("POST", path + "keys",
                                AsString(secagg::Encode(clients[name]->advertise()))));
    }
    for (auto& [name, client] : clients) {
      const auto keys = silo(name).Poll(path + "keys");
      const auto shares =
          client->OnKeyDirectory(secagg::DecodeKeyDirectory(AsBytes(keys.body), limits));
      expect_ok(silo(name).Send("POST", path + "shares", AsString(secagg::Encode(shares))));
    }
    for (auto& [name, client] : clients) {
      if (drop.count(name)) continue;
      const auto inbox = silo(name).Poll(path + "shares");
      const auto masked = client->OnShareInbox(
          secagg::DecodeShareInbox(AsBytes(inbox.body), limits), inputs.at(name));
      expect_ok(silo(name).Send("POST", path + "masked",
                                AsString(secagg::Encode(masked, params.modulus_bits))));
    }
    for (auto& [name, client] : clients) {
      if (drop.count(name)) continue;
      const auto survivors = silo(name).Poll(path + "survivors");
      const auto unmask =
          client->OnSurvivors(secagg::DecodeSurvivorList(AsBytes(survivors.body), limits));
      expect_ok(silo(name).Send("POST", path + "unmask", AsString(secagg::Encode(unmask))));
    }
  }

  std::map<int, int> codes_;
  size_t bytes_posted_ = 0;
  std::unique_ptr<CountingClient> coordinator_;
  std::map<std::string, std::unique_ptr<CountingClient>> silos_;
};

// The samples of a Prometheus text page, keyed by the series exactly as
// rendered: `name{label="value",...}` (or `name` without labels).
inline std::map<std::string, double> ParseSamples(const std::string& page) {
  std::map<std::string, double> out;
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const std::string value = line.substr(space + 1);
    out[line.substr(0, space)] = value == "+Inf"   ? std::numeric_limits<double>::infinity()
                                 : value == "-Inf" ? -std::numeric_limits<double>::infinity()
                                                   : std::stod(value);
  }
  return out;
}

// The `# TYPE` of every family on the page.
inline std::map<std::string, std::string> ParseTypes(const std::string& page) {
  std::map<std::string, std::string> out;
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream fields(line.substr(7));
    std::string name, type;
    fields >> name >> type;
    out[name] = type;
  }
  return out;
}

}  // namespace fedcrm::aggregator::testing
