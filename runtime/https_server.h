// An HTTP/1.1 server with mutual TLS, for the aggregator and the worker's
// control endpoints; the same class serves plain HTTP for /metrics scraping.
//
//   ServerOptions options;
//   options.port = 8443;
//   options.tls = TlsServerOptions{cert_pem, key_pem, federation_ca_pem};
//   HttpsServer server(std::move(options));
//   server.Handle("POST", "/v1/rounds", [](const Request& r) { ... r.peer_identity ... });
//   server.Start();
//   ...
//   server.Stop();
//
// Identity: with TLS, every Request carries the identity of the client
// certificate that was verified against the federation CA during this
// connection's handshake (re-read from the connection for each request;
// renegotiation is disabled, so it cannot change underneath). By default a
// client without a certificate, or with one from another CA, fails the
// handshake and never reaches a handler; a verified certificate without a
// fedcrm identity gets 403. `require_client_certificate = false` admits
// certificate-less clients with peer_identity "" (for a port that serves only
// /healthz-like public endpoints; handlers must then check the identity).
//
// Threads: `threads` I/O threads run both the network and the handlers, so a
// handler that blocks occupies one of them; keep handlers short or raise
// `threads`. Never call Stop() from a handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/http_message.h"

namespace fedcrm::runtime {

struct TlsServerOptions {
  std::string certificate_pem;  // server certificate (then any intermediates)
  std::string private_key_pem;
  std::string client_ca_pem;  // the federation CA that client certificates must chain to
  bool require_client_certificate = true;
};

struct ServerOptions {
  std::string address = "127.0.0.1";    // "0.0.0.0" / "::" to listen everywhere
  uint16_t port = 0;                    // 0: the kernel picks; read it back with port()
  std::optional<TlsServerOptions> tls;  // nullopt: plain HTTP
  int threads = 4;
  size_t max_body_bytes = 64u << 20;  // larger bodies get 413, from Content-Length before reading
  size_t max_header_bytes = 16u << 10;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};   // one request, header and body
  std::chrono::milliseconds write_timeout{30'000};  // one response
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
};

class HttpsServer {
 public:
  // Validates the TLS material; throws fedcrm::ConfigError naming what is wrong.
  explicit HttpsServer(ServerOptions options);
  ~HttpsServer();  // Stop() with no grace period
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Routes (see runtime/router.h). Only before Start().
  void Handle(std::string method, std::string path_prefix, Handler handler);

  // Binds, listens and starts the threads. Throws fedcrm::ConfigError naming
  // the address if it cannot be bound.
  void Start();
  // The bound port (useful with port 0). Valid after Start().
  uint16_t port() const;

  // Stops accepting, closes idle keep-alive connections, lets requests in
  // flight finish (their responses carry "Connection: close"), then stops the
  // threads. Returns false if some request was still running after `grace`
  // and was abandoned. Idempotent; a stopped server cannot be restarted.
  bool Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fedcrm::runtime
