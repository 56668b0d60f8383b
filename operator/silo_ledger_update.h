// Read-modify-write of a RegionSilo's privacy ledger in its status, with
// optimistic concurrency: the RegionSilo controller and every round's
// controller write the same status, so a stale write is retried from a fresh
// read rather than overwriting someone else's reservation.
#pragma once

#include <functional>

#include "kube/client.h"
#include "operator/privacy_ledger.h"

namespace fedcrm::op {

// Applies `change` to the ledger of the RegionSilo at `key` and writes the
// status back when `change` returns true. Retries on 409 Conflict (up to
// `attempts` reads). Returns the RegionSilo as last read or written.
// Exceptions from `change` (e.g. privacy::BudgetExceededError) pass through
// with nothing written.
kube::Json UpdateSiloLedger(kube::Client& hub, const kube::ObjectKey& key,
                            const std::function<bool(SiloLedger&)>& change, int attempts = 8);

}  // namespace fedcrm::op
