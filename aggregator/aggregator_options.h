// The command line of fedcrm-aggregator:
//   --listen ADDR:PORT           mutual-TLS API (default 0.0.0.0:8443; port 0 picks one)
//   --metrics-listen ADDR:PORT   plain HTTP /metrics /healthz /readyz (default 0.0.0.0:9090)
//   --tls-cert --tls-key --ca    PEM files: server certificate, its key, the federation CA
//   --data-dir DIR               model store, release log, optimizer state (required)
//   --coordinator-identity ID    who may configure rounds (default fedcrm-operator)
//   --max-body-bytes N           larger request bodies get 413 (default 64 MiB)
//   --log-level LEVEL            debug | info | warn | error (default info)
//   --version, --help
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fedcrm::aggregator {

struct ListenAddress {
  std::string address;  // "0.0.0.0", "127.0.0.1", "::"
  uint16_t port = 0;
};

// "HOST:PORT" or "[V6]:PORT". Throws fedcrm::ConfigError naming `where`.
ListenAddress ParseListenAddress(const std::string& text, const std::string& where);

struct AggregatorFlags {
  ListenAddress listen{"0.0.0.0", 8443};
  ListenAddress metrics_listen{"0.0.0.0", 9090};
  std::string tls_cert;  // paths
  std::string tls_key;
  std::string ca;
  std::string data_dir;
  std::string coordinator_identity = "fedcrm-operator";
  size_t max_body_bytes = size_t{64} << 20;
  std::string log_level = "info";
  bool version = false;
  bool help = false;
};

// Parses argv without the program name. Throws fedcrm::ConfigError naming the
// flag for an unknown flag, a missing value or a malformed number, and for
// missing required flags (unless --version or --help).
AggregatorFlags ParseAggregatorFlags(const std::vector<std::string>& args);

// The usage text for --help.
std::string AggregatorUsage();

}  // namespace fedcrm::aggregator
