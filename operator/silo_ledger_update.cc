#include "operator/silo_ledger_update.h"

#include "kube/api_error.h"
#include "operator/fedcrm_resources.h"
#include "operator/region_silo.h"

namespace fedcrm::op {

kube::Json UpdateSiloLedger(kube::Client& hub, const kube::ObjectKey& key,
                            const std::function<bool(SiloLedger&)>& change, int attempts) {
  for (int attempt = 1;; ++attempt) {
    kube::Json silo = hub.Get(kRegionSilos, key);
    const RegionSiloSpec spec = ParseRegionSilo(silo);
    const kube::Json& status = silo.contains("status") ? silo["status"] : kube::Json::object();
    SiloLedger ledger =
        SiloLedger::FromStatus(status.value("ledger", kube::Json::object()), spec.privacy_budget,
                               "RegionSilo " + key.ToString() + " status.ledger");
    if (!change(ledger)) return silo;
    silo["status"]["ledger"] = ledger.ToStatus();
    try {
      return hub.UpdateStatus(kRegionSilos, silo);
    } catch (const kube::ApiError& e) {
      if (!e.IsConflict() || attempt >= attempts) throw;
    }
  }
}

}  // namespace fedcrm::op
