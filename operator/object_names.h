// Names of the objects the operator creates. Kubernetes bounds names (63
// characters for a Job, whose name becomes a pod label; 253 for most others)
// and label values (63), while a round or silo name may be 253 long. A name
// that does not fit is cut and suffixed with a hash of the whole, so it stays
// deterministic (a restarted operator finds the same object, never a twin)
// and distinct names stay distinct.
#pragma once

#include <cstddef>
#include <string>

namespace fedcrm::op {

inline constexpr size_t kMaxLabelValueLength = 63;
inline constexpr size_t kMaxJobNameLength = 63;
inline constexpr size_t kMaxObjectNameLength = 253;

// `base` when it fits in `max_length`; otherwise a prefix of it, trimmed of
// trailing '-' and '.', then "-" and 10 hex digits of a hash of `base`.
// max_length must be at least 16.
std::string BoundedName(const std::string& base, size_t max_length);

// A valid label value for `name` (an object name): BoundedName(name, 63).
std::string LabelValue(const std::string& name);

// The worker Job of `silo` in `round`: "<round>-<silo>", bounded to 63.
std::string WorkerJobName(const std::string& round, const std::string& silo);

// Per silo, in the silo's target namespace (several silos may share one).
std::string WorkerServiceAccountName(const std::string& silo);  // fedcrm-worker-<silo>
std::string WorkerTlsSecretName(const std::string& silo);       // fedcrm-worker-<silo>-tls
std::string WorkerNetworkPolicyName(const std::string& silo);   // fedcrm-worker-<silo>

}  // namespace fedcrm::op
