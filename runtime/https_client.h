// An HTTP/1.1 client for workers: mutual TLS with the silo's certificate,
// verifying the server's certificate against the federation CA and its name
// (DNS SAN for host names, IP SAN for addresses).
//
//   ClientOptions options;
//   options.tls = TlsClientOptions{ca_pem, silo_cert_pem, silo_key_pem};
//   HttpsClient client(std::move(options));
//   ClientResponse r = client.Post("https://aggregator:8443/v1/rounds/7/input", bytes,
//                                  "application/octet-stream");
//
// One connection per request (rounds exchange few, large messages), so the
// client is stateless and thread-safe. A client configured for TLS refuses
// http:// URLs, so a typo cannot send an update in clear text.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/common/error.h"
#include "runtime/http_message.h"

namespace fedcrm::runtime {

// Connection, TLS or protocol failure: no HTTP response was received. An HTTP
// error status is not a TransportError; it comes back in ClientResponse.
class TransportError : public Error {
 public:
  using Error::Error;
};

struct TlsClientOptions {
  std::string ca_pem;           // the federation CA the server must chain to
  std::string certificate_pem;  // this silo's certificate; empty: send none
  std::string private_key_pem;
};

struct ClientOptions {
  std::optional<TlsClientOptions> tls;                // nullopt: plain http:// only
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect and TLS handshake
  std::chrono::milliseconds request_timeout{
      60'000};  // writing the request and reading the response
  size_t max_response_bytes = 256u << 20;
};

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  HttpHeaders headers;

  std::string Header(std::string_view name) const { return FindHeader(headers, name); }
};

// scheme://host[:port]/target, with IPv6 hosts in brackets.
struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // without brackets
  uint16_t port = 0;
  std::string target;  // "/..." including any query
};
// Throws fedcrm::ConfigError naming the URL.
Url ParseUrl(const std::string& url);

class HttpsClient {
 public:
  // Throws fedcrm::ConfigError for unusable TLS material.
  explicit HttpsClient(ClientOptions options);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  ClientResponse Get(const std::string& url, const HttpHeaders& headers = {}) const;
  ClientResponse Post(const std::string& url, std::string body, const std::string& content_type,
                      const HttpHeaders& headers = {}) const;
  // Throws fedcrm::ConfigError for a bad URL, TransportError when no response arrives.
  ClientResponse Send(const std::string& method, const std::string& url, std::string body,
                      const std::string& content_type, const HttpHeaders& headers) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fedcrm::runtime
