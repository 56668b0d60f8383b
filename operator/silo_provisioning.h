// The objects the RegionSilo controller keeps in the silo's target namespace
// (ServiceAccount, TLS Secret, NetworkPolicy), and the data-residency check
// of the nodes the silo's worker could be scheduled on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "operator/fedcrm_resources.h"
#include "operator/region_silo.h"
#include "runtime/certificates.h"

namespace fedcrm::op {

// The ServiceAccount the worker runs as; no token is mounted (the worker
// never talks to the API server).
Json BuildWorkerServiceAccount(const RegionSiloSpec& silo);

// The worker's TLS Secret (type kubernetes.io/tls, plus ca.crt), from a
// certificate the federation CA issued for the silo.
Json BuildWorkerTlsSecret(const RegionSiloSpec& silo, const runtime::IssuedCertificate& issued,
                          const std::string& ca_certificate_pem);

// Where the worker may connect: the aggregator, either by address (another
// cluster: an IP or CIDR and port) or by selectors (the same cluster).
struct AggregatorEndpoint {
  // By address. A bare IPv4/IPv6 address becomes a /32 or /128 block.
  std::string cidr;
  // By selectors, when the aggregator runs in the silo's cluster: pods
  // matching pod_labels in the namespace labelled
  // kubernetes.io/metadata.name=<namespace_>.
  std::string namespace_;
  std::map<std::string, std::string> pod_labels;
  int port = 8443;
};

// A NetworkPolicy selecting this silo's worker pods: no ingress at all;
// egress only to the aggregator (TCP port) and to DNS (UDP and TCP 53).
// Throws ConfigError for an endpoint with neither or both forms, a bad CIDR
// or a port outside 1..65535.
Json BuildWorkerNetworkPolicy(const RegionSiloSpec& silo, const AggregatorEndpoint& aggregator);

struct ResidencyCheck {
  bool verified = false;
  std::string reason;   // "NodesInRegion", "NodesOutsideRegion" or "NoSchedulableNodes"
  std::string message;  // names the offending nodes
  std::vector<std::string> eligible_nodes;  // those the selector matches
};

// Residency: every node the worker could be scheduled on (matching
// `node_selector`, without the region label the operator adds) must carry
// topology.kubernetes.io/region=<region>, and there must be at least one.
// `nodes` is a core/v1 NodeList or a JSON array of Nodes. Unschedulable
// nodes (spec.unschedulable) are ignored.
ResidencyCheck CheckResidency(const std::string& region, const Json& nodes,
                              const std::map<std::string, std::string>& node_selector);

}  // namespace fedcrm::op
