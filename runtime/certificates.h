// The federation's X.509 certificates: a CA, leaf certificates for silos and
// services, and the identity check that mutual TLS relies on.
//
// Keys are ECDSA P-256, signatures ECDSA-SHA256. An identity (a silo name such
// as "eu-west" or a service name such as "aggregator") is written twice into
// each leaf certificate: as the subject CN, for people reading it, and as the
// URI SAN "spiffe://fedcrm/id/<identity>", which is what PeerIdentity reads.
// Identities are 1-63 characters of [A-Za-z0-9._-], starting with a letter or
// digit, so they are safe in URIs, file names, label values and log lines.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace fedcrm::runtime {

inline constexpr char kIdentityUriPrefix[] = "spiffe://fedcrm/id/";

// Throws fedcrm::ConfigError naming `where` unless `identity` is well formed.
void ValidateIdentity(const std::string& identity, const std::string& where);

enum class CertificateUsage {
  kServer,  // extendedKeyUsage serverAuth: the aggregator, the operator's endpoints
  kClient,  // extendedKeyUsage clientAuth: a silo's worker
};

struct SubjectAltNames {
  std::vector<std::string> dns;  // e.g. "fedcrm-aggregator.fedcrm.svc"
  std::vector<std::string> ip;   // e.g. "127.0.0.1", "::1"
};

struct IssuedCertificate {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8, unencrypted: store with WritePemFile(..., kSecret)
};

class CertificateAuthority {
 public:
  // A new self-signed CA (CA:TRUE, pathlen 0, keyCertSign) valid from five
  // minutes ago (clock skew between regions) for `validity`.
  static CertificateAuthority Create(const std::string& common_name, std::chrono::seconds validity);
  // An existing CA; throws fedcrm::ConfigError if the PEM does not parse, the
  // certificate is not a CA or the key does not match it.
  static CertificateAuthority FromPem(const std::string& certificate_pem,
                                      const std::string& private_key_pem);

  // A leaf certificate for `identity`, signed by this CA. Throws
  // fedcrm::ConfigError for a malformed identity, DNS name or IP address.
  IssuedCertificate Issue(const std::string& identity, CertificateUsage usage,
                          std::chrono::seconds validity, const SubjectAltNames& sans = {}) const;

  const std::string& certificate_pem() const { return certificate_pem_; }
  const std::string& private_key_pem() const { return private_key_pem_; }

 private:
  CertificateAuthority(std::string certificate_pem, std::string private_key_pem)
      : certificate_pem_(std::move(certificate_pem)),
        private_key_pem_(std::move(private_key_pem)) {}

  std::string certificate_pem_;
  std::string private_key_pem_;
};

// The identity in a certificate's "spiffe://fedcrm/id/" URI SAN, or "" when it
// has none, more than one, or a malformed one. It does NOT verify the
// certificate: call it only on a certificate that TLS has verified against the
// federation CA on this very connection.
std::string PeerIdentity(X509* certificate);
// The same for a PEM certificate (tools and tests); "" if it does not parse.
std::string CertificateIdentity(const std::string& certificate_pem);

enum class FileMode {
  kPublic,  // 0644: certificates
  kSecret,  // 0600: private keys
};

// Writes atomically (temporary file + rename) with the given permissions, which
// apply even when the file existed before. Throws fedcrm::ConfigError naming
// the path on failure.
void WritePemFile(const std::string& path, const std::string& pem, FileMode mode);
// Throws fedcrm::ConfigError naming the path if it cannot be read or holds no PEM block.
std::string ReadPemFile(const std::string& path);

}  // namespace fedcrm::runtime
