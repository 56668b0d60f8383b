// The names the operator shares with its custom resources and with the objects
// it creates: group/version/resources, labels, annotations, finalizers.
//
// Everything under operator/ lives in namespace fedcrm::op, not
// fedcrm::operator: "operator" is a C++ keyword.
#pragma once

#include "kube/client.h"
#include "kube/resource_key.h"

namespace fedcrm::op {

using kube::Json;

inline constexpr char kGroup[] = "fedcrm.io";
inline constexpr char kVersion[] = "v1alpha1";
inline constexpr char kApiVersion[] = "fedcrm.io/v1alpha1";

inline const kube::GroupVersionResource kRegionSilos{kGroup, kVersion, "regionsilos"};
inline const kube::GroupVersionResource kFederatedRounds{kGroup, kVersion, "federatedrounds"};
inline const kube::GroupVersionResource kFederatedModels{kGroup, kVersion, "federatedmodels"};

inline constexpr char kRegionSiloKind[] = "RegionSilo";
inline constexpr char kFederatedRoundKind[] = "FederatedRound";
inline constexpr char kFederatedModelKind[] = "FederatedModel";

// Blocks deletion of a FederatedRound until its Jobs and Secrets in the
// regional clusters are gone and its reservations are released.
inline constexpr char kCleanupFinalizer[] = "fedcrm.io/cleanup";

// Labels on every object the operator creates, so it can find them again
// (and only them) after a restart.
inline constexpr char kRoundLabel[] = "fedcrm.io/round";
inline constexpr char kSiloLabel[] = "fedcrm.io/silo";
inline constexpr char kModelLabel[] = "fedcrm.io/model";
inline constexpr char kComponentLabel[] = "app.kubernetes.io/component";
inline constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";
inline constexpr char kManagedByValue[] = "fedcrm-operator";
inline constexpr char kNameLabel[] = "app.kubernetes.io/name";
inline constexpr char kWorkerComponent[] = "worker";

// Annotations: what a label value cannot hold (over 63 characters, or not a
// label value at all), recorded for people and for the controllers.
inline constexpr char kRoundAnnotation[] = "fedcrm.io/round";
inline constexpr char kSiloAnnotation[] = "fedcrm.io/silo";
inline constexpr char kSiloNamespaceAnnotation[] = "fedcrm.io/silo-namespace";
inline constexpr char kEpsilonAnnotation[] = "fedcrm.io/epsilon-charge";
inline constexpr char kCertificateIdentityAnnotation[] = "fedcrm.io/certificate-identity";

// The well-known node label the silo's region must equal (data residency).
inline constexpr char kRegionNodeLabel[] = "topology.kubernetes.io/region";

// RegionSilo conditions.
inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kConditionReachable[] = "Reachable";
inline constexpr char kConditionResidencyVerified[] = "ResidencyVerified";
inline constexpr char kConditionBudgetAvailable[] = "BudgetAvailable";

// FederatedRound conditions.
inline constexpr char kConditionAdmitted[] = "Admitted";
inline constexpr char kConditionSucceeded[] = "Succeeded";
inline constexpr char kConditionFailed[] = "Failed";

}  // namespace fedcrm::op
