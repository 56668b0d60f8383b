#include "operator/object_names.h"

#include <cassert>
#include <cstdint>
#include <cstdio>

namespace fedcrm::op {
namespace {

constexpr size_t kHashDigits = 10;

// FNV-1a, 64 bits: stable across builds and platforms, unlike std::hash.
uint64_t Fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string HashSuffix(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(Fnv1a(text)));
  return std::string(hex, kHashDigits);
}

}  // namespace

std::string BoundedName(const std::string& base, size_t max_length) {
  assert(max_length >= 16);
  if (base.size() <= max_length) return base;
  std::string prefix = base.substr(0, max_length - kHashDigits - 1);
  // A name must end alphanumeric; the hash does, and '-' before it must not
  // follow another separator.
  while (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '.')) prefix.pop_back();
  return prefix + "-" + HashSuffix(base);
}

std::string LabelValue(const std::string& name) { return BoundedName(name, kMaxLabelValueLength); }

std::string WorkerJobName(const std::string& round, const std::string& silo) {
  return BoundedName(round + "-" + silo, kMaxJobNameLength);
}

std::string WorkerServiceAccountName(const std::string& silo) {
  return BoundedName("fedcrm-worker-" + silo, kMaxObjectNameLength);
}

std::string WorkerTlsSecretName(const std::string& silo) {
  return BoundedName("fedcrm-worker-" + silo + "-tls", kMaxObjectNameLength);
}

std::string WorkerNetworkPolicyName(const std::string& silo) {
  return BoundedName("fedcrm-worker-" + silo, kMaxObjectNameLength);
}

}  // namespace fedcrm::op
