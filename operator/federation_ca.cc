#include "operator/federation_ca.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <optional>

#include "operator/json_fields.h"

namespace fedcrm::op {
namespace {

using Clock = std::chrono::system_clock;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

X509Ptr ParseCertificate(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  X509Ptr out(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return out;
}

KeyPtr ParseKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  KeyPtr out(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return out;
}

std::optional<std::string> Base64Decode(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts '=' padding as zero bytes.
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && padding < 2; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

Clock::time_point ToTimePoint(const ASN1_TIME* time) {
  std::tm tm{};
  ASN1_TIME_to_tm(time, &tm);
  return Clock::from_time_t(timegm(&tm));
}

CertificateCheck Fail(const char* reason, std::string message) {
  return {false, reason, std::move(message)};
}

}  // namespace

std::string SecretValue(const Json& secret, const std::string& key) {
  const std::string where = DescribeObject(secret, "Secret");
  if (const Json* data = FindField(secret, "data"); data && FindField(*data, key)) {
    const Json& value = data->at(key);
    std::optional<std::string> decoded =
        value.is_string() ? Base64Decode(value.get<std::string>()) : std::nullopt;
    if (!decoded) throw ConfigError(where + ": data." + key, "expected base64");
    return *decoded;
  }
  if (const Json* data = FindField(secret, "stringData"); data && FindField(*data, key)) {
    if (!data->at(key).is_string())
      throw ConfigError(where + ": stringData." + key, "expected a string");
    return data->at(key).get<std::string>();
  }
  throw ConfigError(where + ": data." + key, "missing");
}

FederationCa FederationCa::Create(std::chrono::seconds validity, const std::string& common_name) {
  return FederationCa(runtime::CertificateAuthority::Create(common_name, validity));
}

FederationCa FederationCa::FromPem(const std::string& certificate_pem,
                                   const std::string& private_key_pem) {
  return FederationCa(runtime::CertificateAuthority::FromPem(certificate_pem, private_key_pem));
}

FederationCa FederationCa::FromSecret(const Json& secret) {
  const std::string cert = SecretValue(secret, "tls.crt");
  const std::string key = SecretValue(secret, "tls.key");
  try {
    return FromPem(cert, key);
  } catch (const ConfigError& e) {
    throw ConfigError(DescribeObject(secret, "Secret"), e.what());
  }
}

Json FederationCa::ToSecret(const std::string& name, const std::string& namespace_) const {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata",
           {{"name", name},
            {"namespace", namespace_},
            {"labels", {{kManagedByLabel, kManagedByValue}}}}},
          {"type", "kubernetes.io/tls"},
          {"stringData", {{"tls.crt", certificate_pem()}, {"tls.key", private_key_pem()}}}};
}

runtime::IssuedCertificate FederationCa::IssueWorkerCertificate(
    const std::string& silo, std::chrono::seconds validity) const {
  return ca_.Issue(silo, runtime::CertificateUsage::kClient, validity);
}

CertificateCheck FederationCa::CheckWorkerSecret(const Json& secret, const std::string& silo,
                                                 Clock::time_point now) const {
  if (!secret.is_object()) return Fail("Missing", "no Secret");
  std::string cert_pem, key_pem, ca_pem;
  try {
    cert_pem = SecretValue(secret, "tls.crt");
    key_pem = SecretValue(secret, "tls.key");
    ca_pem = SecretValue(secret, "ca.crt");
  } catch (const ConfigError& e) {
    return Fail("Malformed", e.what());
  }
  X509Ptr cert = ParseCertificate(cert_pem);
  KeyPtr key = ParseKey(key_pem);
  if (!cert || !key) return Fail("Malformed", "tls.crt or tls.key does not parse as PEM");
  const std::string identity = runtime::CertificateIdentity(cert_pem);
  if (identity != silo) {
    return Fail("WrongIdentity", "the certificate is for '" + identity + "', not '" + silo + "'");
  }
  X509Ptr ca = ParseCertificate(certificate_pem());
  EVP_PKEY* ca_key = ca ? X509_get0_pubkey(ca.get()) : nullptr;
  if (ca_key == nullptr || X509_verify(cert.get(), ca_key) != 1 || ca_pem != certificate_pem()) {
    return Fail("OtherCa", "the certificate or ca.crt is not this federation CA's");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Fail("KeyMismatch", "tls.key does not match tls.crt");
  }
  const Clock::time_point not_before = ToTimePoint(X509_get0_notBefore(cert.get()));
  const Clock::time_point not_after = ToTimePoint(X509_get0_notAfter(cert.get()));
  if (now < not_before) return Fail("NotYetValid", "the certificate is not valid yet");
  // Renew with a third of the lifetime left, so a slow reconcile or a
  // running round never meets an expired certificate.
  const Clock::time_point renew_at = not_after - (not_after - not_before) / 3;
  if (now >= renew_at)
    return Fail("RenewalDue", "the certificate is in the last third of its lifetime");
  return {true, "Valid", "the certificate is valid for '" + silo + "'"};
}

}  // namespace fedcrm::op
