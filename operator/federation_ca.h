// The operator's federation CA: it signs every silo worker's client
// certificate, and the aggregator trusts it. Kept in a hub Secret
// (kubernetes.io/tls); this class loads, creates and serializes it, issues
// worker certificates and decides when a worker's Secret must be reissued.
#pragma once

#include <chrono>
#include <string>

#include "operator/fedcrm_resources.h"
#include "runtime/certificates.h"

namespace fedcrm::op {

inline constexpr std::chrono::seconds kDefaultCaValidity{10LL * 365 * 24 * 3600};
inline constexpr std::chrono::seconds kDefaultWorkerCertificateValidity{90LL * 24 * 3600};

// Whether a worker's TLS Secret can stay as it is.
struct CertificateCheck {
  bool valid = false;  // false: (re)issue now
  // Missing, Malformed, WrongIdentity, OtherCa, KeyMismatch, NotYetValid,
  // RenewalDue (within the last third of its lifetime, or expired) or Valid.
  std::string reason;
  std::string message;
};

class FederationCa {
 public:
  static FederationCa Create(std::chrono::seconds validity = kDefaultCaValidity,
                             const std::string& common_name = "fedcrm federation CA");
  // Throws ConfigError if the PEM does not parse or is not a CA with its key.
  static FederationCa FromPem(const std::string& certificate_pem,
                              const std::string& private_key_pem);
  // From a Secret's tls.crt / tls.key (data, base64, as the API returns it;
  // or stringData). Throws ConfigError naming the Secret and the key.
  static FederationCa FromSecret(const Json& secret);
  // The CA as a kubernetes.io/tls Secret (stringData) to create on the hub.
  Json ToSecret(const std::string& name, const std::string& namespace_) const;

  // A client certificate whose identity is the silo's name, the identity
  // the aggregator reads from the TLS handshake. Throws ConfigError for a
  // silo name that is not a valid identity.
  runtime::IssuedCertificate IssueWorkerCertificate(
      const std::string& silo,
      std::chrono::seconds validity = kDefaultWorkerCertificateValidity) const;

  // Whether `secret` (the worker TLS Secret, as read from the API) holds a
  // certificate for `silo`, signed by this CA, with its key and this CA's
  // ca.crt, valid at `now` and not yet in the last third of its lifetime.
  CertificateCheck CheckWorkerSecret(const Json& secret, const std::string& silo,
                                     std::chrono::system_clock::time_point now) const;

  const std::string& certificate_pem() const { return ca_.certificate_pem(); }
  const std::string& private_key_pem() const { return ca_.private_key_pem(); }

 private:
  explicit FederationCa(runtime::CertificateAuthority ca) : ca_(std::move(ca)) {}
  runtime::CertificateAuthority ca_;
};

// The value of `key` in a Secret: data (base64-decoded) or stringData.
// Throws ConfigError naming the Secret and key when absent or not base64.
std::string SecretValue(const Json& secret, const std::string& key);

}  // namespace fedcrm::op
