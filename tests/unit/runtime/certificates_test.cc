#include "runtime/certificates.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "core/common/error.h"

namespace fedcrm::runtime {
namespace {

using std::chrono::hours;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr Parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// X509_V_OK when `leaf` chains to `ca` for `purpose`.
int Verify(const std::string& ca, const std::string& leaf, int purpose) {
  X509Ptr ca_cert = Parse(ca);
  X509Ptr leaf_cert = Parse(leaf);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_cert.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf_cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  X509_verify_cert(ctx);
  const int result = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return result;
}

const CertificateAuthority& Ca() {
  static const CertificateAuthority ca = CertificateAuthority::Create("fedcrm test CA", hours(1));
  return ca;
}

TEST(CertificatesTest, IssuedCertificateCarriesIdentityAndVerifies) {
  const IssuedCertificate silo = Ca().Issue("eu-west", CertificateUsage::kClient, hours(1));
  EXPECT_EQ(CertificateIdentity(silo.certificate_pem), "eu-west");
  EXPECT_NE(silo.private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(Verify(Ca().certificate_pem(), silo.certificate_pem, X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
  // A client certificate cannot serve TLS.
  EXPECT_NE(Verify(Ca().certificate_pem(), silo.certificate_pem, X509_PURPOSE_SSL_SERVER),
            X509_V_OK);
  X509Ptr cert = Parse(silo.certificate_pem);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "eu-west");
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
}

TEST(CertificatesTest, ServerCertificateMatchesItsHostNamesAndAddresses) {
  const IssuedCertificate server = Ca().Issue("aggregator", CertificateUsage::kServer, hours(1),
                                              {{"aggregator.fedcrm.svc"}, {"127.0.0.1", "::1"}});
  EXPECT_EQ(Verify(Ca().certificate_pem(), server.certificate_pem, X509_PURPOSE_SSL_SERVER),
            X509_V_OK);
  X509Ptr cert = Parse(server.certificate_pem);
  EXPECT_EQ(X509_check_host(cert.get(), "aggregator.fedcrm.svc", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "evil.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 0);
}

TEST(CertificatesTest, CertificateFromAnotherCaDoesNotVerify) {
  const auto other = CertificateAuthority::Create("other CA", hours(1));
  const IssuedCertificate rogue = other.Issue("eu-west", CertificateUsage::kClient, hours(1));
  EXPECT_NE(Verify(Ca().certificate_pem(), rogue.certificate_pem, X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
}

TEST(CertificatesTest, RejectsMalformedInputs) {
  EXPECT_THROW(Ca().Issue("", CertificateUsage::kClient, hours(1)), ConfigError);
  EXPECT_THROW(Ca().Issue("-lead", CertificateUsage::kClient, hours(1)), ConfigError);
  EXPECT_THROW(Ca().Issue("eu/west", CertificateUsage::kClient, hours(1)), ConfigError);
  EXPECT_THROW(Ca().Issue("eu,URI:spiffe://fedcrm/id/us", CertificateUsage::kClient, hours(1)),
               ConfigError);
  EXPECT_THROW(Ca().Issue("eu", CertificateUsage::kServer, hours(1), {{"a,DNS:b"}, {}}),
               ConfigError);
  EXPECT_THROW(Ca().Issue("eu", CertificateUsage::kServer, hours(1), {{}, {"300.1.1.1"}}),
               ConfigError);
  EXPECT_THROW(Ca().Issue("eu", CertificateUsage::kClient, std::chrono::seconds(0)), ConfigError);
  EXPECT_EQ(CertificateIdentity("not a pem"), "");
}

TEST(CertificatesTest, FromPemChecksTheKeyAndTheCaFlag) {
  const auto other = CertificateAuthority::Create("other CA", hours(1));
  EXPECT_NO_THROW(CertificateAuthority::FromPem(Ca().certificate_pem(), Ca().private_key_pem()));
  EXPECT_THROW(CertificateAuthority::FromPem(Ca().certificate_pem(), other.private_key_pem()),
               ConfigError);
  const IssuedCertificate leaf = Ca().Issue("eu", CertificateUsage::kClient, hours(1));
  EXPECT_THROW(CertificateAuthority::FromPem(leaf.certificate_pem, leaf.private_key_pem),
               ConfigError);
  EXPECT_THROW(CertificateAuthority::FromPem("junk", Ca().private_key_pem()), ConfigError);
  const auto loaded = CertificateAuthority::FromPem(Ca().certificate_pem(), Ca().private_key_pem());
  const IssuedCertificate again = loaded.Issue("us", CertificateUsage::kClient, hours(1));
  EXPECT_EQ(Verify(Ca().certificate_pem(), again.certificate_pem, X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
}

TEST(CertificatesTest, KeyFilesAreWrittenOwnerOnly) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("fedcrm_certs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const IssuedCertificate leaf = Ca().Issue("eu", CertificateUsage::kClient, hours(1));
  const std::string key_path = (dir / "eu.key").string();
  const std::string cert_path = (dir / "eu.crt").string();
  // Pre-existing loose permissions must be tightened, not inherited.
  {
    std::ofstream(key_path) << "old";
    ::chmod(key_path.c_str(), 0666);
  }
  WritePemFile(key_path, leaf.private_key_pem, FileMode::kSecret);
  WritePemFile(cert_path, leaf.certificate_pem, FileMode::kPublic);
  struct stat st {};
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(cert_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(ReadPemFile(key_path), leaf.private_key_pem);
  EXPECT_EQ(CertificateIdentity(ReadPemFile(cert_path)), "eu");
  EXPECT_THROW(ReadPemFile((dir / "missing.pem").string()), ConfigError);
  std::ofstream(dir / "plain.txt") << "hello";
  EXPECT_THROW(ReadPemFile((dir / "plain.txt").string()), ConfigError);
  EXPECT_THROW(WritePemFile((dir / "no/such/dir/x.pem").string(), "x", FileMode::kSecret),
               ConfigError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fedcrm::runtime
