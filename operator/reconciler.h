// What a controller's reconcile function returns, and the interface the
// controller loop (operator/controller.h) drives: reconcile one key, level-
// triggered, idempotent; the loop requeues with backoff when it throws.
#pragma once

#include <chrono>
#include <optional>

#include "kube/resource_key.h"

namespace fedcrm::op {

struct ReconcileResult {
  // Look again after this long even if nothing changes (a running round's
  // progress lives outside the API server). nullopt: only on changes.
  std::optional<std::chrono::milliseconds> requeue_after;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Brings the world in line with the object at `key` (which may be gone).
  // Throws on a transient failure; the caller retries with backoff.
  virtual ReconcileResult Reconcile(const kube::ObjectKey& key) = 0;
};

}  // namespace fedcrm::op
