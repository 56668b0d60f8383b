#include "runtime/https_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "core/common/error.h"
#include "runtime/certificates.h"
#include "runtime/https_client.h"
#include "runtime/metric_registry.h"

namespace fedcrm::runtime {
namespace {

using std::chrono::hours;

struct Pki {
  CertificateAuthority ca = CertificateAuthority::Create("federation CA", hours(1));
  CertificateAuthority rogue_ca = CertificateAuthority::Create("rogue CA", hours(1));
  IssuedCertificate server =
      ca.Issue("aggregator", CertificateUsage::kServer, hours(1), {{}, {"127.0.0.1"}});
  IssuedCertificate eu = ca.Issue("eu", CertificateUsage::kClient, hours(1));
  IssuedCertificate us = ca.Issue("us", CertificateUsage::kClient, hours(1));
  IssuedCertificate rogue_eu = rogue_ca.Issue("eu", CertificateUsage::kClient, hours(1));
  IssuedCertificate rogue_server =
      rogue_ca.Issue("aggregator", CertificateUsage::kServer, hours(1), {{}, {"127.0.0.1"}});
};

const Pki& Certs() {
  static const Pki* pki = new Pki();
  return *pki;
}

ServerOptions TlsOptions(bool require_client_certificate = true) {
  ServerOptions options;
  options.tls = TlsServerOptions{Certs().server.certificate_pem, Certs().server.private_key_pem,
                                 Certs().ca.certificate_pem(), require_client_certificate};
  options.read_timeout = std::chrono::seconds(5);
  options.write_timeout = std::chrono::seconds(5);
  return options;
}

HttpsClient ClientWith(const IssuedCertificate* cert, const std::string& ca_pem = "") {
  ClientOptions options;
  options.tls =
      TlsClientOptions{ca_pem.empty() ? Certs().ca.certificate_pem() : ca_pem,
                       cert ? cert->certificate_pem : "", cert ? cert->private_key_pem : ""};
  options.connect_timeout = std::chrono::seconds(5);
  options.request_timeout = std::chrono::seconds(5);
  return HttpsClient(std::move(options));
}

std::string UrlOf(const HttpsServer& server, const std::string& path) {
  return "https://127.0.0.1:" + std::to_string(server.port()) + path;
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void StartWhoAmI(ServerOptions options) {
    server_ = std::make_unique<HttpsServer>(std::move(options));
    server_->Handle("*", "/whoami", [this](const Request& r) {
      ++calls_;
      return Response::Text(200, r.peer_identity + "|" + r.method + "|" + r.query + "|" +
                                     std::to_string(r.body.size()));
    });
    server_->Start();
  }

  std::unique_ptr<HttpsServer> server_;
  std::atomic<int> calls_{0};
};

TEST_F(HttpsServerTest, RequestCarriesTheVerifiedClientIdentity) {
  StartWhoAmI(TlsOptions());
  const ClientResponse eu =
      ClientWith(&Certs().eu)
          .Post(UrlOf(*server_, "/whoami?x=1"), std::string(100, '\0'), "application/octet-stream");
  EXPECT_EQ(eu.status, 200);
  EXPECT_EQ(eu.body, "eu|POST|x=1|100");
  EXPECT_EQ(ClientWith(&Certs().us).Get(UrlOf(*server_, "/whoami")).body, "us|GET||0");
  EXPECT_EQ(ClientWith(&Certs().us).Get(UrlOf(*server_, "/nothing")).status, 404);
}

TEST_F(HttpsServerTest, ClientWithoutCertificateIsRefused) {
  StartWhoAmI(TlsOptions());
  EXPECT_THROW(ClientWith(nullptr).Get(UrlOf(*server_, "/whoami")), TransportError);
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpsServerTest, CertificateFromAnotherCaIsRefused) {
  StartWhoAmI(TlsOptions());
  EXPECT_THROW(ClientWith(&Certs().rogue_eu).Get(UrlOf(*server_, "/whoami")), TransportError);
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpsServerTest, OptionalClientCertificateAdmitsAnonymousClients) {
  StartWhoAmI(TlsOptions(/*require_client_certificate=*/false));
  EXPECT_EQ(ClientWith(nullptr).Get(UrlOf(*server_, "/whoami")).body, "|GET||0");
  EXPECT_EQ(ClientWith(&Certs().eu).Get(UrlOf(*server_, "/whoami")).body, "eu|GET||0");
  // Optional does not mean unverified: a foreign certificate still fails.
  EXPECT_THROW(ClientWith(&Certs().rogue_eu).Get(UrlOf(*server_, "/whoami")), TransportError);
}

TEST_F(HttpsServerTest, ClientRefusesUntrustedOrMisnamedServers) {
  StartWhoAmI(TlsOptions());
  // Trusting only the rogue CA, the client must reject the federation's server.
  EXPECT_THROW(
      ClientWith(&Certs().eu, Certs().rogue_ca.certificate_pem()).Get(UrlOf(*server_, "/whoami")),
      TransportError);
  // The certificate names 127.0.0.1 only; "localhost" is not in it.
  EXPECT_THROW(ClientWith(&Certs().eu)
                   .Get("https://localhost:" + std::to_string(server_->port()) + "/whoami"),
               TransportError);
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpsServerTest, OversizedBodyGets413BeforeTheHandler) {
  ServerOptions options = TlsOptions();
  options.max_body_bytes = 1024;
  StartWhoAmI(std::move(options));
  const HttpsClient client = ClientWith(&Certs().eu);
  const ClientResponse fits =
      client.Post(UrlOf(*server_, "/whoami"), std::string(1024, 'x'), "text/plain");
  EXPECT_EQ(fits.status, 200);
  const ClientResponse big =
      client.Post(UrlOf(*server_, "/whoami"), std::string(4096, 'x'), "text/plain");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(calls_, 1);
}

TEST_F(HttpsServerTest, ServesConcurrentClients) {
  StartWhoAmI(TlsOptions());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const IssuedCertificate& cert = t % 2 == 0 ? Certs().eu : Certs().us;
      const HttpsClient client = ClientWith(&cert);
      for (int i = 0; i < 4; ++i) {
        const ClientResponse r = client.Post(UrlOf(*server_, "/whoami"), std::string(i, 'a'), "");
        const std::string expected =
            std::string(t % 2 == 0 ? "eu" : "us") + "|POST||" + std::to_string(i);
        if (r.status == 200 && r.body == expected) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, 32);
}

// Two requests on one TLS connection, written with raw Beast.
TEST_F(HttpsServerTest, KeepAliveServesSeveralRequestsPerConnection) {
  StartWhoAmI(TlsOptions());
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace ssl = boost::asio::ssl;
  boost::asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.add_certificate_authority(boost::asio::buffer(Certs().ca.certificate_pem()));
  ctx.use_certificate_chain(boost::asio::buffer(Certs().us.certificate_pem));
  ctx.use_private_key(boost::asio::buffer(Certs().us.private_key_pem), ssl::context::pem);
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  beast::get_lowest_layer(stream).connect(
      {boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  stream.handshake(ssl::stream_base::client);
  beast::flat_buffer buffer;
  for (int i = 0; i < 2; ++i) {
    http::request<http::string_body> request(http::verb::get, "/whoami?n=" + std::to_string(i), 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    EXPECT_EQ(response.body(), "us|GET|n=" + std::to_string(i) + "|0");
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(calls_, 2);
}

TEST_F(HttpsServerTest, StopFinishesRequestsInFlightAndRefusesNewOnes) {
  server_ = std::make_unique<HttpsServer>(TlsOptions());
  std::promise<void> entered;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  server_->Handle("POST", "/slow", [&](const Request& r) {
    entered.set_value();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return Response::Text(200, "done " + r.peer_identity);
  });
  server_->Handle("GET", "/fast", [](const Request&) { return Response::Text(200, "fast"); });
  server_->Start();
  const std::string slow_url = UrlOf(*server_, "/slow");
  const std::string fast_url = UrlOf(*server_, "/fast");
  // An idle keep-alive connection must not hold Stop up.
  auto idle_io = std::make_unique<boost::asio::io_context>();
  boost::asio::ip::tcp::socket idle(*idle_io);
  idle.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});

  auto in_flight = std::async(std::launch::async, [&] {
    return ClientWith(&Certs().eu).Post(slow_url, "payload", "text/plain");
  });
  entered.get_future().wait();
  auto stopped =
      std::async(std::launch::async, [&] { return server_->Stop(std::chrono::seconds(5)); });
  // Stop has begun once new connections are refused.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    try {
      ClientWith(&Certs().eu).Get(fast_url);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } catch (const TransportError&) {
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  const ClientResponse response = in_flight.get();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "done eu");
  EXPECT_EQ(response.Header("connection"), "close");
  EXPECT_TRUE(stopped.get());
}

TEST(HttpServerPlainTest, ServesMetricsOverPlainHttp) {
  Registry registry;
  registry.AddCounter("fedcrm_scrapes_total", "Scrapes.").Get().Increment();
  ServerOptions options;
  HttpsServer server(std::move(options));
  server.Handle("GET", "/metrics", [&](const Request& r) {
    Response response = Response::Text(200, registry.Render());
    response.content_type = kExpositionContentType;
    EXPECT_EQ(r.peer_identity, "");
    return response;
  });
  server.Start();
  const ClientResponse r =
      HttpsClient(ClientOptions{})
          .Get("http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kExpositionContentType);
  EXPECT_NE(r.body.find("fedcrm_scrapes_total 1\n"), std::string::npos);
  EXPECT_TRUE(server.Stop());
}

TEST(HttpsServerConfigTest, RejectsBadTlsMaterialAndAddresses) {
  ServerOptions options = TlsOptions();
  options.tls->private_key_pem = Certs().eu.private_key_pem;  // not the server's key
  EXPECT_THROW(HttpsServer{options}, ConfigError);
  options = TlsOptions();
  options.tls->certificate_pem = "garbage";
  EXPECT_THROW(HttpsServer{options}, ConfigError);
  options = TlsOptions();
  options.tls->client_ca_pem = "";
  EXPECT_THROW(HttpsServer{options}, ConfigError);
  options = TlsOptions();
  options.address = "not-an-ip";
  HttpsServer server(options);
  EXPECT_THROW(server.Start(), ConfigError);
}

TEST(HttpsClientTest, RejectsBadUrlsAndSchemeMismatch) {
  EXPECT_THROW(ParseUrl("aggregator:8443/x"), ConfigError);
  EXPECT_THROW(ParseUrl("ftp://a/x"), ConfigError);
  EXPECT_THROW(ParseUrl("https://a:99999/x"), ConfigError);
  EXPECT_THROW(ParseUrl("https://:80/x"), ConfigError);
  const Url v6 = ParseUrl("https://[::1]:8443/v1/x?y=1#frag");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8443);
  EXPECT_EQ(v6.target, "/v1/x?y=1");
  EXPECT_EQ(ParseUrl("http://a").target, "/");
  EXPECT_EQ(ParseUrl("https://a/").port, 443);
  EXPECT_THROW(ClientWith(&Certs().eu).Get("http://127.0.0.1:1/x"), ConfigError);
  EXPECT_THROW(HttpsClient(ClientOptions{}).Get("https://127.0.0.1:1/x"), ConfigError);
}

}  // namespace
}  // namespace fedcrm::runtime
