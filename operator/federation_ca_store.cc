#include "operator/federation_ca_store.h"

#include "kube/api_error.h"
#include "kube/resources.h"
#include "runtime/log.h"

namespace fedcrm::op {

FederationCa LoadOrCreateFederationCa(kube::Client& hub, const std::string& secret) {
  const kube::ObjectKey key = kube::ParseObjectKey(secret);
  try {
    return FederationCa::FromSecret(hub.Get(kube::resources::kSecrets, key));
  } catch (const kube::ApiError& e) {
    if (!e.IsNotFound()) throw;
  }
  FederationCa ca = FederationCa::Create();
  try {
    hub.Create(kube::resources::kSecrets, ca.ToSecret(key.name, key.namespace_));
    runtime::Log().Info("created the federation CA", {{"secret", secret}});
    return ca;
  } catch (const kube::ApiError& e) {
    if (!e.IsAlreadyExists()) throw;
  }
  return FederationCa::FromSecret(hub.Get(kube::resources::kSecrets, key));
}

}  // namespace fedcrm::op
