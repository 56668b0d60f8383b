#include "runtime/certificates.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/common/error.h"

namespace fedcrm::runtime {
namespace {

template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;

constexpr long kClockSkewSeconds = 300;
constexpr size_t kMaxPemFileBytes = 1 << 20;

// Drains OpenSSL's thread-local error queue into one line.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Failures of OpenSSL calls that cannot fail on valid input (allocation,
// signing with a key we generated) are internal, not user errors.
[[noreturn]] void Fail(const char* what) {
  throw std::runtime_error(std::string("OpenSSL ") + what + " failed: " + OpenSslErrors());
}

void Check(int ok, const char* what) {
  if (ok <= 0) Fail(what);
}

KeyPtr GenerateKey() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) Fail("EC P-256 key generation");
  return key;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey");
  return BioText(bio.get());
}

std::string CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  return BioText(bio.get());
}

BioPtr ReadOnlyBio(const std::string& text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) Fail("BIO_new_mem_buf");
  return bio;
}

X509Ptr ParseCertificate(const std::string& pem) {
  BioPtr bio = ReadOnlyBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return cert;
}

KeyPtr ParseKey(const std::string& pem) {
  BioPtr bio = ReadOnlyBio(pem);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return key;
}

void SetRandomSerial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  Check(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())), "RAND_bytes");
  bytes[0] &= 0x7f;  // serials must be positive
  bytes[0] |= 0x01;  // and stay 16 bytes long
  BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) Fail("serial number");
}

// A certificate with everything but extensions and signature.
X509Ptr NewCertificate(const std::string& common_name, X509_NAME* issuer, EVP_PKEY* subject_key,
                       std::chrono::seconds validity) {
  X509Ptr cert(X509_new());
  if (!cert) Fail("X509_new");
  Check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");
  SetRandomSerial(cert.get());
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kClockSkewSeconds) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count()))) {
    Fail("X509_gmtime_adj");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0),
        "X509_NAME_add_entry_by_txt");
  Check(X509_set_issuer_name(cert.get(), issuer != nullptr ? issuer : subject),
        "X509_set_issuer_name");
  Check(X509_set_pubkey(cert.get(), subject_key), "X509_set_pubkey");
  return cert;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) Fail("X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

bool IsDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::string rest = name.rfind("*.", 0) == 0 ? name.substr(2) : name;
  std::istringstream labels(rest);
  std::string label;
  int count = 0;
  while (std::getline(labels, label, '.')) {
    ++count;
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
  }
  return count > 0 && rest.back() != '.';
}

void PushName(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr) Fail("GENERAL_NAME_new");
  GENERAL_NAME_set0_value(name, type, value);
  if (sk_GENERAL_NAME_push(names, name) <= 0) {
    GENERAL_NAME_free(name);
    Fail("sk_GENERAL_NAME_push");
  }
}

ASN1_IA5STRING* Ia5(const std::string& text) {
  ASN1_IA5STRING* s = ASN1_IA5STRING_new();
  if (s == nullptr || !ASN1_STRING_set(s, text.data(), static_cast<int>(text.size()))) {
    ASN1_IA5STRING_free(s);
    Fail("ASN1_STRING_set");
  }
  return s;
}

// Built from GENERAL_NAME objects rather than an "URI:...,DNS:..." config
// string, so that a comma in a name cannot smuggle in another entry.
// "certificate for 'eu-west': DNS SAN 'x'", as errors name a bad entry.
std::string SanField(const std::string& identity, const char* kind, const std::string& value) {
  std::string out = "certificate for '" + identity + "': ";
  out.append(kind).append(" SAN '").append(value).append("'");
  return out;
}

void AddSubjectAltNames(X509* cert, const std::string& identity, const SubjectAltNames& sans) {
  NamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) Fail("sk_GENERAL_NAME_new_null");
  PushName(names.get(), GEN_URI, Ia5(kIdentityUriPrefix + identity));
  for (const std::string& dns : sans.dns) {
    if (!IsDnsName(dns)) {
      throw ConfigError(SanField(identity, "DNS", dns),
                        "expected a host name such as aggregator.fedcrm.svc");
    }
    PushName(names.get(), GEN_DNS, Ia5(dns));
  }
  for (const std::string& ip : sans.ip) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    if (address == nullptr) {
      ERR_clear_error();
      throw ConfigError(SanField(identity, "IP", ip), "expected an IPv4 or IPv6 address");
    }
    PushName(names.get(), GEN_IPADD, address);
  }
  Check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT),
        "X509_add1_ext_i2d(subjectAltName)");
}

std::string Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) Fail("X509_sign");
  return CertificateToPem(cert);
}

}  // namespace

void ValidateIdentity(const std::string& identity, const std::string& where) {
  bool ok = !identity.empty() && identity.size() <= 63;
  for (size_t i = 0; ok && i < identity.size(); ++i) {
    const char c = identity[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
  }
  if (!ok) {
    throw ConfigError(where, "identity '" + identity +
                                 "': expected 1-63 characters of [A-Za-z0-9._-] starting with a "
                                 "letter or digit");
  }
}

CertificateAuthority CertificateAuthority::Create(const std::string& common_name,
                                                  std::chrono::seconds validity) {
  if (common_name.empty() || validity.count() <= 0) {
    throw ConfigError("certificate authority '" + common_name + "'",
                      "expected a non-empty common name and a positive validity");
  }
  KeyPtr key = GenerateKey();
  X509Ptr cert = NewCertificate(common_name, nullptr, key.get(), validity);
  AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  std::string cert_pem = Sign(cert.get(), key.get());
  return CertificateAuthority(std::move(cert_pem), KeyToPem(key.get()));
}

CertificateAuthority CertificateAuthority::FromPem(const std::string& certificate_pem,
                                                   const std::string& private_key_pem) {
  X509Ptr cert = ParseCertificate(certificate_pem);
  if (!cert) throw ConfigError("CA certificate", "expected a PEM X.509 certificate");
  KeyPtr key = ParseKey(private_key_pem);
  if (!key) throw ConfigError("CA private key", "expected an unencrypted PEM private key");
  if (X509_check_ca(cert.get()) < 1) {
    throw ConfigError("CA certificate", "is not a CA certificate (basicConstraints CA:TRUE)");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw ConfigError("CA private key", "does not match the CA certificate");
  }
  return CertificateAuthority(certificate_pem, private_key_pem);
}

IssuedCertificate CertificateAuthority::Issue(const std::string& identity, CertificateUsage usage,
                                              std::chrono::seconds validity,
                                              const SubjectAltNames& sans) const {
  ValidateIdentity(identity, "certificate request");
  if (validity.count() <= 0) {
    throw ConfigError("certificate for '" + identity + "'", "expected a positive validity");
  }
  X509Ptr ca_cert = ParseCertificate(certificate_pem_);
  KeyPtr ca_key = ParseKey(private_key_pem_);
  if (!ca_cert || !ca_key) Fail("reading the CA back");  // FromPem/Create checked them

  KeyPtr key = GenerateKey();
  X509Ptr cert =
      NewCertificate(identity, X509_get_subject_name(ca_cert.get()), key.get(), validity);
  AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage,
               usage == CertificateUsage::kServer ? "serverAuth" : "clientAuth");
  AddExtension(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  AddSubjectAltNames(cert.get(), identity, sans);
  return IssuedCertificate{Sign(cert.get(), ca_key.get()), KeyToPem(key.get())};
}

std::string PeerIdentity(X509* certificate) {
  if (certificate == nullptr) return "";
  NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return "";
  const std::string prefix = kIdentityUriPrefix;
  std::string identity;
  int found = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_STRING* uri = name->d.uniformResourceIdentifier;
    const std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                           static_cast<size_t>(ASN1_STRING_length(uri)));
    if (text.rfind(prefix, 0) != 0) continue;
    ++found;
    identity = text.substr(prefix.size());
  }
  // Two identities in one certificate would let its holder pick either; refuse both.
  if (found != 1) return "";
  try {
    ValidateIdentity(identity, "peer certificate");
  } catch (const ConfigError&) {
    return "";
  }
  return identity;
}

std::string CertificateIdentity(const std::string& certificate_pem) {
  X509Ptr cert = ParseCertificate(certificate_pem);
  return PeerIdentity(cert.get());
}

void WritePemFile(const std::string& path, const std::string& pem, FileMode mode) {
  const mode_t permissions = mode == FileMode::kSecret ? 0600 : 0644;
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(temp.data());  // created 0600, so a key is never briefly world-readable
  if (fd < 0) throw ConfigError(path, std::string("cannot create file: ") + std::strerror(errno));
  size_t written = 0;
  bool ok = true;
  while (ok && written < pem.size()) {
    const ssize_t n = ::write(fd, pem.data() + written, pem.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  const int saved_errno = errno;
  ok = ok && ::fchmod(fd, permissions) == 0 && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = ok ? errno : saved_errno;
    ::unlink(temp.c_str());
    throw ConfigError(path, std::string("cannot write file: ") + std::strerror(error));
  }
}

std::string ReadPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, std::string("cannot open: ") + std::strerror(errno));
  std::string text(kMaxPemFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxPemFileBytes) {
    throw ConfigError(path, "file is larger than 1 MiB; expected a PEM certificate or key");
  }
  // Callers keep the text for the process' life: give back the 1 MiB read buffer.
  text.shrink_to_fit();
  if (text.find("-----BEGIN ") == std::string::npos) {
    throw ConfigError(path, "expected a PEM file (-----BEGIN ...-----)");
  }
  return text;
}

}  // namespace fedcrm::runtime
