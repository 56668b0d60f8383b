// The settings of one fedcrm-worker run: one silo taking part in one round.
//
// Every setting can come from a flag or from an environment variable, because
// a Kubernetes Job passes them as env (FEDCRM_AGGREGATOR_URL, ...); when both
// are given the flag wins, so an operator can override one value by hand.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fedcrm::worker {

struct WorkerOptions {
  std::string aggregator_url;  // https://host:port (no path)
  std::string round;           // round id, e.g. "churn-demo-r3"
  std::string silo;            // must equal the identity in the TLS certificate
  std::string data_path;       // the silo's CSV
  std::string tls_cert_path;   // PEM: this silo's client certificate
  std::string tls_key_path;    // PEM: its private key
  std::string ca_path;         // PEM: the federation CA
  // Seeds DP noise and quantization rounding for reproducible simulations.
  // nullopt (production): OS entropy. A known seed gives NO privacy.
  std::optional<uint64_t> seed;
  // Fraction of rows held out (never used for statistics or training), so a
  // simulation can evaluate on them. The split is a std::shuffle of the row
  // indices with std::mt19937_64(split_seed); the first
  // llround(test_fraction * rows) shuffled rows are held out.
  double test_fraction = 0.0;
  uint64_t split_seed = 0;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::seconds timeout{3600};  // the whole run, polls included
  // Testing aid: "<stage>/<step>" (e.g. "training/masked") makes the worker
  // stop with exit code 3 right before it would send that message,
  // simulating a silo that drops out (fedcrm simulate --drop REGION@PHASE).
  // Steps: keys, shares, masked, unmask. Empty: never.
  std::string fail_at;
  std::string log_level = "info";
};

// The environment variables a worker reads; name -> value.
using Environment = std::map<std::string, std::string>;

// The FEDCRM_* variables of this process.
Environment ProcessEnvironment();

// Parses `args` (without the program name) over `env`. Throws
// fedcrm::ConfigError naming the flag (and its variable) for an unknown flag,
// a missing required setting or a malformed value.
WorkerOptions ParseWorkerOptions(const std::vector<std::string>& args, const Environment& env);

// The usage text for --help.
std::string WorkerUsage();

// Exit code of a run stopped by --fail-at.
inline constexpr int kSimulatedDropoutExitCode = 3;

}  // namespace fedcrm::worker
