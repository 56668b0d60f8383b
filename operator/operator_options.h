// The command line of fedcrm-operator:
//   --kubeconfig PATH             the hub cluster (default: in-cluster config, else $KUBECONFIG)
//   --namespace NS                watch only this namespace (default: all)
//   --aggregator-url URL          the aggregator's mutual-TLS API, as the operator reaches it
//   --aggregator-ca PATH          PEM: the CA of the aggregator's certificate (default: the
//   federation CA)
//   --coordinator-cert PATH       PEM: the operator's client certificate and its key (default:
//   --coordinator-key PATH          issued at start from the federation CA for
//   --coordinator-identity)
//   --coordinator-identity ID     the identity the aggregator accepts round configs from (default
//   fedcrm-operator)
//   --worker-aggregator-url URL   the aggregator as workers reach it (default: --aggregator-url)
//   --worker-image IMAGE          for silos that name none (default
//   ghcr.io/fedcrm/worker:<version>)
//   --aggregator-cidr CIDR        where workers may connect (NetworkPolicy egress; default: from
//   the URL's host when it is an IP)
//   --federation-ca-secret NS/NAME  the federation CA (created when missing; default
//   fedcrm/fedcrm-federation-ca)
//   --leader-elect                 run only while holding the Lease (default off)
//   --leader-election-namespace NS --leader-election-id NAME (default fedcrm/fedcrm-operator)
//   --identity ID                  this replica in the Lease (default: hostname_pid)
//   --metrics-listen ADDR:PORT     plain HTTP /metrics /healthz /readyz (default 0.0.0.0:8080)
//   --poll-interval-ms N           how often running rounds are followed (default 2000)
//   --log-level LEVEL, --version, --help
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fedcrm::op {

struct OperatorFlags {
  std::string kubeconfig;
  std::string namespace_;
  std::string aggregator_url;
  std::string aggregator_ca;
  std::string coordinator_cert;
  std::string coordinator_key;
  std::string coordinator_identity = "fedcrm-operator";
  std::string worker_aggregator_url;
  std::string worker_image;
  std::string aggregator_cidr;
  std::string federation_ca_secret = "fedcrm/fedcrm-federation-ca";
  bool leader_elect = false;
  std::string leader_election_namespace = "fedcrm";
  std::string leader_election_id = "fedcrm-operator";
  std::string identity;
  std::string metrics_address = "0.0.0.0";
  uint16_t metrics_port = 8080;
  int64_t poll_interval_ms = 2000;
  std::string log_level = "info";
  bool version = false;
  bool help = false;
};

// Parses argv without the program name. Throws fedcrm::ConfigError naming the
// flag for an unknown flag, a missing or malformed value, or a missing
// required flag (unless --version or --help).
OperatorFlags ParseOperatorFlags(const std::vector<std::string>& args);

std::string OperatorUsage();

}  // namespace fedcrm::op
