#include "operator/operator_options.h"

#include <functional>
#include <map>

#include "core/common/error.h"

namespace fedcrm::op {
namespace {

int64_t ParseInteger(const std::string& flag, const std::string& text, int64_t min, int64_t max) {
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < min || value > max) {
    throw ConfigError(flag, "'" + text + "': expected an integer in " + std::to_string(min) + ".." +
                                std::to_string(max));
  }
  return value;
}

// "HOST:PORT" or "[V6]:PORT".
void ParseListen(const std::string& flag, const std::string& text, OperatorFlags* flags) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw ConfigError(flag, "'" + text + "': expected HOST:PORT");
  }
  std::string host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  flags->metrics_address = host;
  flags->metrics_port = static_cast<uint16_t>(ParseInteger(flag, text.substr(colon + 1), 0, 65535));
}

void RequireFlag(const std::string& value, const std::string& flag) {
  if (value.empty()) throw ConfigError(flag, "required");
}

}  // namespace

OperatorFlags ParseOperatorFlags(const std::vector<std::string>& args) {
  OperatorFlags flags;
  using Setter = std::function<void(const std::string&)>;
  const std::map<std::string, Setter> with_value = {
      {"--kubeconfig", [&](const std::string& v) { flags.kubeconfig = v; }},
      {"--namespace", [&](const std::string& v) { flags.namespace_ = v; }},
      {"--aggregator-url", [&](const std::string& v) { flags.aggregator_url = v; }},
      {"--aggregator-ca", [&](const std::string& v) { flags.aggregator_ca = v; }},
      {"--coordinator-cert", [&](const std::string& v) { flags.coordinator_cert = v; }},
      {"--coordinator-key", [&](const std::string& v) { flags.coordinator_key = v; }},
      {"--coordinator-identity", [&](const std::string& v) { flags.coordinator_identity = v; }},
      {"--worker-aggregator-url", [&](const std::string& v) { flags.worker_aggregator_url = v; }},
      {"--worker-image", [&](const std::string& v) { flags.worker_image = v; }},
      {"--aggregator-cidr", [&](const std::string& v) { flags.aggregator_cidr = v; }},
      {"--federation-ca-secret", [&](const std::string& v) { flags.federation_ca_secret = v; }},
      {"--leader-election-namespace",
       [&](const std::string& v) { flags.leader_election_namespace = v; }},
      {"--leader-election-id", [&](const std::string& v) { flags.leader_election_id = v; }},
      {"--identity", [&](const std::string& v) { flags.identity = v; }},
      {"--metrics-listen",
       [&](const std::string& v) { ParseListen("--metrics-listen", v, &flags); }},
      {"--poll-interval-ms",
       [&](const std::string& v) {
         flags.poll_interval_ms = ParseInteger("--poll-interval-ms", v, 10, 3'600'000);
       }},
      {"--log-level", [&](const std::string& v) { flags.log_level = v; }},
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (flag == "--leader-elect") {
      flags.leader_elect = !has_value || value == "true";
      continue;
    }
    if (flag == "--version") {
      flags.version = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") {
      flags.help = true;
      continue;
    }
    const auto setter = with_value.find(flag);
    if (setter == with_value.end()) throw ConfigError(flag, "unknown flag (see --help)");
    if (!has_value) {
      if (i + 1 >= args.size()) throw ConfigError(flag, "expected a value");
      value = args[++i];
    }
    setter->second(value);
  }
  if (flags.version || flags.help) return flags;
  RequireFlag(flags.aggregator_url, "--aggregator-url");
  if (flags.coordinator_cert.empty() != flags.coordinator_key.empty()) {
    throw ConfigError(flags.coordinator_cert.empty() ? "--coordinator-cert" : "--coordinator-key",
                      "give --coordinator-cert and --coordinator-key together, or neither "
                      "(then the operator issues its own from the federation CA)");
  }
  if (flags.worker_aggregator_url.empty()) flags.worker_aggregator_url = flags.aggregator_url;
  if (flags.federation_ca_secret.find('/') == std::string::npos) {
    throw ConfigError("--federation-ca-secret",
                      "'" + flags.federation_ca_secret + "': expected NAMESPACE/NAME");
  }
  return flags;
}

std::string OperatorUsage() {
  return R"(fedcrm-operator: the Kubernetes operator of fedcrm. It reconciles RegionSilo,
FederatedRound and FederatedModel resources (fedcrm.io/v1alpha1): admits rounds against
each silo's privacy budget, configures the aggregator, runs one worker Job per silo in
the silo's own cluster, and keeps every silo's privacy ledger in its status.

  --kubeconfig PATH              the hub cluster (default: in-cluster config, else $KUBECONFIG)
  --namespace NS                 watch only this namespace (default: all namespaces)
  --aggregator-url URL           the aggregator's mutual-TLS API (required)
  --aggregator-ca PATH           PEM: the CA of the aggregator's certificate
                                 (default: the federation CA)
  --coordinator-cert PATH        PEM: the operator's client certificate for the aggregator
  --coordinator-key PATH         PEM: its private key (both absent: the operator issues
                                 itself one from the federation CA at start)
  --coordinator-identity ID      the identity the aggregator takes round configs from
                                 (its --coordinator-identity; default fedcrm-operator)
  --worker-aggregator-url URL    the aggregator as workers reach it (default: --aggregator-url)
  --worker-image IMAGE           the worker image for silos that name none
  --aggregator-cidr CIDR         NetworkPolicy egress target (default: the URL's IP host)
  --federation-ca-secret NS/NAME the federation CA Secret, created when missing
                                 (default fedcrm/fedcrm-federation-ca)
  --leader-elect                 reconcile only while holding the Lease
  --leader-election-namespace NS (default fedcrm)
  --leader-election-id NAME      the Lease's name (default fedcrm-operator)
  --identity ID                  this replica's name in the Lease (default: hostname_pid)
  --metrics-listen ADDR:PORT     /metrics /healthz /readyz over plain HTTP (default 0.0.0.0:8080)
  --poll-interval-ms N           how often running rounds are followed (default 2000)
  --log-level LEVEL              debug | info | warn | error (default info)
  --version, --help
)";
}

}  // namespace fedcrm::op
