// Where the operator keeps its federation CA: a kubernetes.io/tls Secret on
// the hub. Loaded when it exists, created otherwise, so every replica (and
// every restart) signs worker certificates with the same CA that the
// aggregator trusts.
#pragma once

#include <string>

#include "kube/client.h"
#include "operator/federation_ca.h"

namespace fedcrm::op {

// `secret`: "namespace/name". Two replicas racing to create it both end up
// with the one that won (a 409 on create re-reads it).
FederationCa LoadOrCreateFederationCa(kube::Client& hub, const std::string& secret);

}  // namespace fedcrm::op
