#include "runtime/https_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

#include "runtime/tls_context.h"

namespace fedcrm::runtime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// Runs the io_context until the operation just started has completed; the
// async form is used only because Beast's timeouts apply to async operations.
void RunOnce(net::io_context& io) {
  io.restart();
  io.run();
}

[[noreturn]] void Fail(const std::string& url, const char* step, const beast::error_code& ec) {
  throw TransportError(url + ": " + step + " failed: " + ec.message());
}

}  // namespace

Url ParseUrl(const std::string& url) {
  const auto bad = [&](const std::string& problem) {
    return ConfigError("URL '" + url + "'", problem);
  };
  Url out;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw bad("expected scheme://host[:port]/path");
  out.scheme = url.substr(0, scheme_end);
  if (out.scheme != "http" && out.scheme != "https") throw bad("expected scheme http or https");
  const size_t authority_begin = scheme_end + 3;
  const size_t path_begin = url.find_first_of("/?#", authority_begin);
  const std::string authority = url.substr(authority_begin, path_begin - authority_begin);
  out.target = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  if (out.target.front() != '/') out.target = "/" + out.target;
  if (const size_t hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
  if (authority.find('@') != std::string::npos) throw bad("user information is not supported");
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) throw bad("unterminated IPv6 address");
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw bad("expected ':' after the IPv6 address");
      port_text = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) throw bad("expected a host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      throw bad("port '" + port_text + "': expected 1-65535");
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

struct HttpsClient::Impl {
  ClientOptions options;
  std::optional<ssl::context> tls;
};

HttpsClient::HttpsClient(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.tls) {
    impl_->tls.emplace(MakeClientTlsContext(options.tls->ca_pem, options.tls->certificate_pem,
                                            options.tls->private_key_pem));
  }
  impl_->options = std::move(options);
}

HttpsClient::~HttpsClient() = default;

ClientResponse HttpsClient::Get(const std::string& url, const HttpHeaders& headers) const {
  return Send("GET", url, "", "", headers);
}

ClientResponse HttpsClient::Post(const std::string& url, std::string body,
                                 const std::string& content_type,
                                 const HttpHeaders& headers) const {
  return Send("POST", url, std::move(body), content_type, headers);
}

namespace {

template <typename Stream>
ClientResponse Exchange(net::io_context& io, Stream& stream, const std::string& url,
                        const http::request<http::string_body>& request,
                        const ClientOptions& options) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  beast::error_code ec;
  tcp_layer.expires_after(options.request_timeout);
  http::async_write(stream, request, [&](beast::error_code e, size_t) { ec = e; });
  RunOnce(io);
  if (ec) Fail(url, "sending the request", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  RunOnce(io);
  if (ec) Fail(url, "reading the response", ec);

  http::response<http::string_body> message = parser.release();
  ClientResponse response;
  response.status = static_cast<int>(message.result_int());
  response.content_type = std::string(message[http::field::content_type]);
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  return response;
}

}  // namespace

ClientResponse HttpsClient::Send(const std::string& method, const std::string& url,
                                 std::string body, const std::string& content_type,
                                 const HttpHeaders& headers) const {
  const Url parsed = ParseUrl(url);
  const bool use_tls = parsed.scheme == "https";
  if (use_tls && !impl_->tls) {
    throw ConfigError("URL '" + url + "'", "https needs a client configured with TLS options");
  }
  if (!use_tls && impl_->tls) {
    throw ConfigError("URL '" + url + "'", "this client is configured for TLS; expected https");
  }
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) throw ConfigError("HTTP method", "unknown method " + method);

  http::request<http::string_body> request(verb, parsed.target, 11);
  const bool default_port = parsed.port == (use_tls ? 443 : 80);
  const std::string host_header =
      (parsed.host.find(':') != std::string::npos ? "[" + parsed.host + "]" : parsed.host) +
      (default_port ? "" : ":" + std::to_string(parsed.port));
  request.set(http::field::host, host_header);
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) request.insert(name, value);
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  request.prepare_payload();

  net::io_context io(1);
  beast::error_code ec;
  tcp::resolver resolver(io);
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(parsed.host, std::to_string(parsed.port),
                         [&](beast::error_code e, tcp::resolver::results_type results) {
                           ec = e;
                           endpoints = std::move(results);
                         });
  RunOnce(io);
  if (ec) Fail(url, "resolving the host", ec);

  const ClientOptions& options = impl_->options;
  if (!use_tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(options.connect_timeout);
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    RunOnce(io);
    if (ec) Fail(url, "connecting", ec);
    ClientResponse response = Exchange(io, stream, url, request, options);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return response;
  }

  beast::ssl_stream<beast::tcp_stream> stream(io, *impl_->tls);
  SSL* ssl = stream.native_handle();
  beast::error_code address_ec;
  net::ip::make_address(parsed.host, address_ec);
  if (address_ec) {
    // A host name: check it against the DNS SANs and send it as SNI.
    SSL_set_tlsext_host_name(ssl, parsed.host.c_str());
    SSL_set1_host(ssl, parsed.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), parsed.host.c_str());
  }
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(options.connect_timeout);
  tcp_layer.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  RunOnce(io);
  if (ec) Fail(url, "connecting", ec);
  tcp_layer.expires_after(options.connect_timeout);
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  RunOnce(io);
  if (ec) Fail(url, "TLS handshake", ec);
  ClientResponse response = Exchange(io, stream, url, request, options);
  // The response is complete; a peer that skips close_notify changes nothing.
  tcp_layer.expires_after(std::chrono::seconds(1));
  stream.async_shutdown([](beast::error_code) {});
  RunOnce(io);
  return response;
}

}  // namespace fedcrm::runtime
