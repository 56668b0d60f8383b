// One real mutual-TLS round trip through the service: certificates from
// runtime/certificates.h, HttpsServer and HttpsClient on loopback.
#include "aggregator/aggregator_service.h"

#include <gtest/gtest.h>

#include "runtime/certificates.h"
#include "runtime/https_client.h"
#include "tests/unit/aggregator/test_round.h"

namespace fedcrm::aggregator {
namespace {

using std::chrono::hours;

runtime::HttpsClient ClientFor(const runtime::CertificateAuthority& ca,
                               const runtime::IssuedCertificate& cert) {
  runtime::ClientOptions options;
  options.tls =
      runtime::TlsClientOptions{ca.certificate_pem(), cert.certificate_pem, cert.private_key_pem};
  options.connect_timeout = std::chrono::seconds(5);
  options.request_timeout = std::chrono::seconds(5);
  return runtime::HttpsClient(std::move(options));
}

TEST(AggregatorServiceTest, ServesTheApiOverMutualTls) {
  testing::TestEnv env;  // for its temporary directory
  const auto ca = runtime::CertificateAuthority::Create("federation CA", hours(1));
  const auto server =
      ca.Issue("aggregator", runtime::CertificateUsage::kServer, hours(1), {{}, {"127.0.0.1"}});
  const auto operator_cert =
      ca.Issue("fedcrm-operator", runtime::CertificateUsage::kClient, hours(1));
  const auto eu = ca.Issue("eu", runtime::CertificateUsage::kClient, hours(1));
  const auto mallory = ca.Issue("mallory", runtime::CertificateUsage::kClient, hours(1));

  AggregatorOptions options;
  options.certificate_pem = server.certificate_pem;
  options.private_key_pem = server.private_key_pem;
  options.ca_pem = ca.certificate_pem();
  options.data_dir = env.dir() / "data";
  options.threads = 2;
  AggregatorService service(std::move(options));
  service.Start();
  const std::string base = "https://127.0.0.1:" + std::to_string(service.tls_port());

  const auto config = testing::TestConfig({"eu", "us", "ap"}).dump();
  const auto put = ClientFor(ca, operator_cert)
                       .Send("PUT", base + "/v1/rounds/r1", config, "application/json", {});
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(ClientFor(ca, eu).Get(base + "/v1/rounds/r1").status, 200);
  EXPECT_EQ(ClientFor(ca, mallory).Get(base + "/v1/rounds/r1").status, 403);
  // A silo cannot configure rounds, even with a valid certificate.
  EXPECT_EQ(
      ClientFor(ca, eu).Send("PUT", base + "/v1/rounds/r2", config, "application/json", {}).status,
      403);

  runtime::HttpsClient plain(runtime::ClientOptions{});
  const std::string metrics_base = "http://127.0.0.1:" + std::to_string(service.metrics_port());
  EXPECT_EQ(plain.Get(metrics_base + "/readyz").status, 200);
  const auto metrics = plain.Get(metrics_base + "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("fedcrm_aggregator_requests_total{code=\"201\"} 1"),
            std::string::npos)
      << metrics.body;
  service.Stop(std::chrono::seconds(1));
}

}  // namespace
}  // namespace fedcrm::aggregator
