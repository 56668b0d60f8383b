#include "cli/support/network_federation.h"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/support/child_process.h"
#include "core/common/error.h"
#include "core/data/synthetic/generator.h"
#include "core/fl/round_config.h"
#include "core/model/model_file.h"
#include "core/privacy/budget_ledger.h"
#include "core/privacy/rdp_accountant.h"
#include "runtime/certificates.h"
#include "runtime/https_client.h"

namespace fedcrm::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kCoordinator[] = "fedcrm-simulate";

struct TlsFiles {
  std::string cert, key;
};

// A throwaway federation: one CA, a server certificate for the aggregator on
// loopback, one client certificate for this coordinator and one per silo.
struct Pki {
  std::string ca_file;
  TlsFiles aggregator, coordinator;
  std::map<std::string, TlsFiles> silos;
  runtime::TlsClientOptions coordinator_tls;
};

TlsFiles WriteIssued(const fs::path& dir, const std::string& name,
                     const runtime::IssuedCertificate& issued) {
  TlsFiles files{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  runtime::WritePemFile(files.cert, issued.certificate_pem, runtime::FileMode::kPublic);
  runtime::WritePemFile(files.key, issued.private_key_pem, runtime::FileMode::kSecret);
  return files;
}

Pki MakePki(const fs::path& dir, const sim::SimulationConfig& config) {
  fs::create_directories(dir);
  const auto validity = std::chrono::hours(24);
  const auto ca = runtime::CertificateAuthority::Create("fedcrm simulate CA", validity);
  Pki pki;
  pki.ca_file = (dir / "ca.crt").string();
  runtime::WritePemFile(pki.ca_file, ca.certificate_pem(), runtime::FileMode::kPublic);
  pki.aggregator = WriteIssued(dir, "aggregator",
                               ca.Issue("fedcrm-aggregator", runtime::CertificateUsage::kServer,
                                        validity, {{"localhost"}, {"127.0.0.1"}}));
  const auto coordinator = ca.Issue(kCoordinator, runtime::CertificateUsage::kClient, validity);
  pki.coordinator = WriteIssued(dir, "coordinator", coordinator);
  pki.coordinator_tls = {ca.certificate_pem(), coordinator.certificate_pem,
                         coordinator.private_key_pem};
  for (const auto& silo : config.silos) {
    pki.silos[silo.name] = WriteIssued(
        dir, silo.name, ca.Issue(silo.name, runtime::CertificateUsage::kClient, validity));
  }
  return pki;
}

// The silo's CSV for its worker: the configured file, or generated rows.
std::string SiloCsv(const sim::SimulationConfig& config, const sim::SiloConfig& silo,
                    const fs::path& dir) {
  if (!silo.data.generated()) return silo.data.path;
  fs::create_directories(dir);
  const fs::path path = dir / (silo.name + ".csv");
  data::synthetic::GeneratorOptions options;
  options.task = config.task;
  options.region = silo.region;
  options.rows = silo.data.generate_rows > 0
                     ? silo.data.generate_rows
                     : data::synthetic::DefaultRows(config.task, silo.region);
  options.seed = silo.data.generate_seed;
  std::ofstream out(path, std::ios::binary);
  data::synthetic::GenerateCsv(options, out);
  if (!out) throw ConfigError(path.string(), "cannot write the silo's CSV");
  return path.string();
}

// Starts fedcrm-aggregator on loopback ports the kernel picks and reads them
// back from its "listening" log line.
ChildProcess StartAggregator(const NetworkFederationOptions& options, const Pki& pki,
                             uint16_t* tls_port) {
  const fs::path log = options.work_dir / "aggregator.log";
  ChildProcess process = ChildProcess::Spawn(
      {(options.bin_dir / "fedcrm-aggregator").string(), "--listen", "127.0.0.1:0",
       "--metrics-listen", "127.0.0.1:0", "--tls-cert", pki.aggregator.cert, "--tls-key",
       pki.aggregator.key, "--ca", pki.ca_file, "--data-dir",
       (options.work_dir / "aggregator").string(), "--coordinator-identity", kCoordinator},
      log.string());
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto code = process.TryWait()) {
      throw Error("fedcrm-aggregator exited with code " + std::to_string(*code) + "; see " +
                  log.string());
    }
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"tls_port\"") == std::string::npos) continue;
      const auto json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() && json.contains("tls_port")) {
        *tls_port = json["tls_port"].get<uint16_t>();
        return process;
      }
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  throw Error("fedcrm-aggregator did not start listening within 30 s; see " + log.string());
}

// The round as the aggregator takes it (docs/protocol.md), from the
// simulation file: the same serializer the aggregator's own tests use.
nlohmann::json RoundConfigJson(const sim::SimulationConfig& config, double sigma,
                               const std::optional<std::string>& base_model,
                               const NetworkFederationOptions& options) {
  fl::RoundConfig round;
  round.model_line = config.name.empty() ? "simulation" : config.name;
  round.task = config.task;
  round.schema = config.schema;
  round.model = config.model;
  round.base_model = base_model;
  round.seed = config.seed;
  round.training = config.training;
  round.training.dp =
      train::DpSgdConfig{config.privacy.sampling_rate, sigma, config.privacy.clip_norm};
  round.privacy_delta = config.privacy.delta;
  round.weighting = config.weighting;
  round.server_optimizer = config.server_optimizer;
  for (const auto& silo : config.silos) {
    round.silos.push_back({silo.name, silo.epsilon_budget, silo.delta_budget});
  }
  round.phase_seconds = options.phase_seconds;
  round.masked_input_seconds = options.masked_input_seconds;
  // The workers hold out the simulation's test rows (--test-fraction): the
  // evaluation stage scores each released model on exactly those.
  round.evaluation_holdout = config.test_fraction;
  return fl::RoundConfigToJson(round);
}

// The round's primary metric as the federation computed it under secure
// aggregation (the evaluation stage), which is what a deployment without
// pooled test data sees; nullopt when the round has no evaluation.
std::optional<double> SecurePrimaryMetric(const nlohmann::json& status) {
  const auto evaluation = status.find("evaluation");
  if (evaluation == status.end() || !evaluation->is_object()) return std::nullopt;
  const auto primary = evaluation->find("primaryMetric");
  if (primary == evaluation->end() || !primary->is_object() ||
      !primary->value("value", nlohmann::json()).is_number()) {
    return std::nullopt;
  }
  return (*primary)["value"].get<double>();
}

std::string FailAt(const NetworkFederationOptions& options, const sim::SiloConfig& silo,
                   int round) {
  for (const auto& drop : options.drops) {
    if ((drop.silo == silo.name || drop.silo == silo.region) && drop.round == round) {
      return drop.phase;
    }
  }
  return "";
}

// Runs one round: configures it, runs every silo's worker to completion and
// returns the aggregator's final status.
nlohmann::json RunRound(const sim::SimulationConfig& config,
                        const NetworkFederationOptions& options, const Pki& pki,
                        const std::map<std::string, std::string>& csv,
                        const runtime::HttpsClient& client, const std::string& base_url,
                        const std::string& round_id, const nlohmann::json& round_config,
                        int round) {
  const auto put = client.Send("PUT", base_url + "/v1/rounds/" + round_id, round_config.dump(),
                               "application/json", {});
  if (put.status != 200 && put.status != 201) {
    throw Error("configuring " + round_id + " failed (" + std::to_string(put.status) +
                "): " + put.body);
  }
  std::vector<ChildProcess> workers;
  for (size_t i = 0; i < config.silos.size(); ++i) {
    const auto& silo = config.silos[i];
    std::vector<std::string> argv = {(options.bin_dir / "fedcrm-worker").string(),
                                     "--aggregator-url",
                                     base_url,
                                     "--round",
                                     round_id,
                                     "--silo",
                                     silo.name,
                                     "--data",
                                     csv.at(silo.name),
                                     "--tls-cert",
                                     pki.silos.at(silo.name).cert,
                                     "--tls-key",
                                     pki.silos.at(silo.name).key,
                                     "--ca",
                                     pki.ca_file,
                                     "--test-fraction",
                                     std::to_string(config.test_fraction),
                                     "--split-seed",
                                     std::to_string(config.seed + i),
                                     "--poll-interval-ms",
                                     "100"};
    if (options.reproducible_noise) {
      argv.insert(argv.end(), {"--seed", std::to_string(sim::NoiseSeed(config.seed, i, round))});
    }
    if (const std::string fail_at = FailAt(options, silo, round); !fail_at.empty()) {
      argv.insert(argv.end(), {"--fail-at", fail_at});
    }
    workers.push_back(
        ChildProcess::Spawn(argv, (options.work_dir / ("worker-" + silo.name + ".log")).string()));
  }
  for (auto& worker : workers) worker.Wait(std::chrono::minutes(10));
  const auto status = client.Get(base_url + "/v1/rounds/" + round_id);
  if (status.status != 200) {
    throw Error("status of " + round_id + " failed (" + std::to_string(status.status) +
                "): " + status.body);
  }
  return nlohmann::json::parse(status.body);
}

}  // namespace

DropSpec ParseDropSpec(const std::string& text) {
  DropSpec spec;
  const size_t at = text.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == text.size()) {
    throw ConfigError(
        "flag --drop",
        "expected REGION@PHASE[@ROUND] (e.g. eu@training/masked), got '" + text + "'");
  }
  spec.silo = text.substr(0, at);
  std::string rest = text.substr(at + 1);
  if (size_t second = rest.find('@'); second != std::string::npos) {
    try {
      spec.round = std::stoi(rest.substr(second + 1));
    } catch (const std::exception&) {
      throw ConfigError("flag --drop",
                        "expected a round number after the second '@' in '" + text + "'");
    }
    rest = rest.substr(0, second);
  }
  if (rest.find('/') == std::string::npos) rest = "training/" + rest;  // the usual stage
  spec.phase = rest;
  return spec;
}

sim::StrategyResult RunNetworkFederation(const sim::SimulationConfig& config,
                                         double noise_multiplier, const sim::Evaluator& evaluator,
                                         const NetworkFederationOptions& options) {
  fs::create_directories(options.work_dir);
  const Pki pki = MakePki(options.work_dir / "tls", config);
  std::map<std::string, std::string> csv;
  for (const auto& silo : config.silos)
    csv[silo.name] = SiloCsv(config, silo, options.work_dir / "data");

  uint16_t port = 0;
  ChildProcess aggregator = StartAggregator(options, pki, &port);
  const std::string base_url = "https://127.0.0.1:" + std::to_string(port);
  runtime::ClientOptions client_options;
  client_options.tls = pki.coordinator_tls;
  const runtime::HttpsClient client(client_options);

  sim::StrategyResult result;
  result.kind = sim::StrategyKind::kFederatedPrivate;
  result.label = "Federated + DP + SecAgg";
  result.secure_aggregation = true;
  std::vector<privacy::BudgetLedger> ledgers;
  for (const auto& silo : config.silos)
    ledgers.emplace_back(silo.epsilon_budget, silo.delta_budget);
  const auto charge = privacy::SampledGaussianRdp(config.privacy.sampling_rate, noise_multiplier,
                                                  config.training.steps);

  std::optional<std::string> base_model;
  std::unique_ptr<model::Model> latest;
  data::FeatureStatistics statistics;
  const std::string line = config.name.empty() ? "simulation" : config.name;
  if (options.progress) options.progress->StrategyStarted(result.label, config.rounds);
  for (int round = 1; round <= config.rounds; ++round) {
    const std::string round_id = line + "-r" + std::to_string(round);
    const nlohmann::json status =
        RunRound(config, options, pki, csv, client, base_url, round_id,
                 RoundConfigJson(config, noise_multiplier, base_model, options), round);
    if (status.value("phase", "") != "succeeded") {
      aggregator.Stop(seconds(10));
      throw Error(round_id + " failed: " + status.value("failure", std::string("unknown reason")) +
                  " (logs in " + options.work_dir.string() + ")");
    }
    for (const auto& name : status.at("contributors")) {
      for (size_t i = 0; i < config.silos.size(); ++i) {
        if (config.silos[i].name != name.get<std::string>()) continue;
        ledgers[i].Reserve(round_id, charge);
        ledgers[i].Commit(round_id);
      }
    }
    base_model = status.at("model").get<std::string>();
    const auto bytes = client.Get(base_url + "/v1/models/" + *base_model);
    model::LoadedModel loaded = model::ParseModel(bytes.body, *base_model);
    if (loaded.digest != *base_model) throw Error("model " + *base_model + ": digest mismatch");
    statistics = data::FeatureStatistics::FromJson(loaded.card.feature_statistics,
                                                   *base_model + " card: featureStatistics");
    latest = std::move(loaded.model);
    const std::optional<double> secure = SecurePrimaryMetric(status);
    result.curve.push_back(secure ? *secure : evaluator.Primary(*latest, statistics));
    if (options.progress) {
      options.progress->RoundFinished(result.label, round, config.rounds, result.curve.back());
    }
  }
  evaluator.Final(*latest, statistics, &result);
  result.parameters = latest->Parameters();
  for (size_t i = 0; i < config.silos.size(); ++i) {
    result.epsilon_by_silo[config.silos[i].name] = ledgers[i].EpsilonSpent();
    result.rounds_by_silo[config.silos[i].name] = static_cast<int>(ledgers[i].RoundsCommitted());
  }
  const int code = aggregator.Stop(seconds(10));
  if (code != 0) throw Error("fedcrm-aggregator exited with code " + std::to_string(code));
  return result;
}

}  // namespace fedcrm::cli
