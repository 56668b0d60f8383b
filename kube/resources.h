// The built-in resources the operator touches, by group/version/resource.
#pragma once

#include "kube/resource_key.h"

namespace fedcrm::kube::resources {

inline const GroupVersionResource kNamespaces{"", "v1", "namespaces"};
inline const GroupVersionResource kNodes{"", "v1", "nodes"};
inline const GroupVersionResource kPods{"", "v1", "pods"};
inline const GroupVersionResource kSecrets{"", "v1", "secrets"};
inline const GroupVersionResource kConfigMaps{"", "v1", "configmaps"};
inline const GroupVersionResource kServiceAccounts{"", "v1", "serviceaccounts"};
inline const GroupVersionResource kJobs{"batch", "v1", "jobs"};
inline const GroupVersionResource kNetworkPolicies{"networking.k8s.io", "v1", "networkpolicies"};
inline const GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases"};
inline const GroupVersionResource kEvents{"events.k8s.io", "v1", "events"};

}  // namespace fedcrm::kube::resources
