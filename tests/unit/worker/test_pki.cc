#include "tests/unit/worker/test_pki.h"

#include <chrono>
#include <mutex>

namespace fedcrm::worker::testing {
namespace {

using std::chrono::hours;
std::mutex g_mu;

}  // namespace

TestPki::TestPki()
    : ca_(runtime::CertificateAuthority::Create("worker test CA", hours(1))),
      server_(ca_.Issue("aggregator", runtime::CertificateUsage::kServer, hours(1),
                        {{}, {"127.0.0.1"}})) {}

const TestPki& TestPki::Get() {
  static const TestPki* pki = new TestPki();
  return *pki;
}

const runtime::IssuedCertificate& TestPki::Client(const std::string& identity) const {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = clients_.find(identity);
  if (it == clients_.end()) {
    it = clients_
             .emplace(identity, ca_.Issue(identity, runtime::CertificateUsage::kClient, hours(1)))
             .first;
  }
  return it->second;
}

runtime::ServerOptions TestPki::ServerOptions() const {
  runtime::ServerOptions options;
  options.tls = runtime::TlsServerOptions{server_.certificate_pem, server_.private_key_pem,
                                          ca_.certificate_pem()};
  options.threads = 8;
  return options;
}

std::unique_ptr<runtime::HttpsClient> TestPki::ClientFor(const std::string& identity) const {
  const runtime::IssuedCertificate& cert = Client(identity);
  runtime::ClientOptions options;
  options.tls =
      runtime::TlsClientOptions{ca_.certificate_pem(), cert.certificate_pem, cert.private_key_pem};
  options.connect_timeout = std::chrono::seconds(5);
  options.request_timeout = std::chrono::seconds(5);
  return std::make_unique<runtime::HttpsClient>(std::move(options));
}

std::string BaseUrl(const runtime::HttpsServer& server) {
  return "https://127.0.0.1:" + std::to_string(server.port());
}

}  // namespace fedcrm::worker::testing
