#include "operator/federation_ca.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace fedcrm::op {
namespace {

using Clock = std::chrono::system_clock;
using std::chrono::hours;

// One CA for the file: key generation is the slow part.
const FederationCa& Ca() {
  static const FederationCa ca = FederationCa::Create(std::chrono::hours(24 * 365));
  return ca;
}

Json WorkerSecret(const FederationCa& ca, const std::string& silo, std::chrono::seconds validity) {
  const runtime::IssuedCertificate issued = ca.IssueWorkerCertificate(silo, validity);
  return {{"metadata", {{"name", "fedcrm-worker-" + silo + "-tls"}, {"namespace", "fedcrm"}}},
          {"stringData",
           {{"tls.crt", issued.certificate_pem},
            {"tls.key", issued.private_key_pem},
            {"ca.crt", ca.certificate_pem()}}}};
}

TEST(FederationCaTest, IssuesCertificatesWithTheSilosIdentity) {
  const runtime::IssuedCertificate issued = Ca().IssueWorkerCertificate("eu-west");
  EXPECT_EQ(runtime::CertificateIdentity(issued.certificate_pem), "eu-west");
  EXPECT_THROW(Ca().IssueWorkerCertificate("bad/name"), ConfigError);
}

TEST(FederationCaTest, RoundTripsThroughASecret) {
  const Json secret = Ca().ToSecret("fedcrm-federation-ca", "fedcrm");
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  const FederationCa loaded = FederationCa::FromSecret(secret);
  EXPECT_EQ(loaded.certificate_pem(), Ca().certificate_pem());

  // As the API server returns it: base64 under data.
  Json stored = secret;
  stored.erase("stringData");
  stored["data"] = {{"tls.crt", "bm90IGEgY2VydA=="}, {"tls.key", "eA=="}};
  EXPECT_EQ(SecretValue(stored, "tls.crt"), "not a cert");
  EXPECT_EQ(SecretValue(stored, "tls.key"), "x");
  EXPECT_THROW(FederationCa::FromSecret(stored), ConfigError);
  stored["data"]["tls.crt"] = "!!!";
  EXPECT_THROW(SecretValue(stored, "tls.crt"), ConfigError);
  EXPECT_THROW(SecretValue(stored, "missing"), ConfigError);
}

TEST(FederationCaTest, AFreshSecretIsValidUntilTwoThirdsOfItsLifetime) {
  const Json secret = WorkerSecret(Ca(), "eu-west", hours(90));
  const Clock::time_point now = Clock::now();
  const CertificateCheck fresh = Ca().CheckWorkerSecret(secret, "eu-west", now);
  EXPECT_TRUE(fresh.valid) << fresh.message;
  EXPECT_EQ(fresh.reason, "Valid");
  // The certificate is valid from 5 minutes ago, for 90 hours: renewal is due
  // after about 60 hours.
  EXPECT_TRUE(Ca().CheckWorkerSecret(secret, "eu-west", now + hours(55)).valid);
  EXPECT_EQ(Ca().CheckWorkerSecret(secret, "eu-west", now + hours(61)).reason, "RenewalDue");
  EXPECT_EQ(Ca().CheckWorkerSecret(secret, "eu-west", now + hours(100)).reason, "RenewalDue");
  EXPECT_EQ(Ca().CheckWorkerSecret(secret, "eu-west", now - hours(1)).reason, "NotYetValid");
}

TEST(FederationCaTest, RejectsSecretsForAnotherSiloOrCa) {
  const Clock::time_point now = Clock::now();
  const Json secret = WorkerSecret(Ca(), "eu-west", hours(90));
  EXPECT_EQ(Ca().CheckWorkerSecret(secret, "us-east", now).reason, "WrongIdentity");

  const FederationCa other = FederationCa::Create(hours(24));
  EXPECT_EQ(other.CheckWorkerSecret(secret, "eu-west", now).reason, "OtherCa");

  Json swapped = secret;
  swapped["stringData"]["tls.key"] =
      Ca().IssueWorkerCertificate("eu-west", hours(1)).private_key_pem;
  EXPECT_EQ(Ca().CheckWorkerSecret(swapped, "eu-west", now).reason, "KeyMismatch");

  Json no_ca = secret;
  no_ca["stringData"].erase("ca.crt");
  EXPECT_EQ(Ca().CheckWorkerSecret(no_ca, "eu-west", now).reason, "Malformed");
  Json garbage = secret;
  garbage["stringData"]["tls.crt"] = "garbage";
  EXPECT_EQ(Ca().CheckWorkerSecret(garbage, "eu-west", now).reason, "Malformed");
  EXPECT_EQ(Ca().CheckWorkerSecret(nullptr, "eu-west", now).reason, "Missing");
}

}  // namespace
}  // namespace fedcrm::op
