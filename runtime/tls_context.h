// OpenSSL contexts for the HTTPS server and client, built from PEM text with
// one hardened profile: TLS 1.2 minimum (1.3 preferred by OpenSSL), ECDHE
// AEAD cipher suites only for 1.2, no renegotiation, no compression.
// Internal to runtime/ (pulls in Boost.Asio).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <string>

namespace fedcrm::runtime {

// Throws fedcrm::ConfigError naming the bad PEM input.
boost::asio::ssl::context MakeServerTlsContext(const std::string& certificate_pem,
                                               const std::string& private_key_pem,
                                               const std::string& client_ca_pem,
                                               bool require_client_certificate);

// client cert and key may both be empty (then no client certificate is sent).
boost::asio::ssl::context MakeClientTlsContext(const std::string& ca_pem,
                                               const std::string& certificate_pem,
                                               const std::string& private_key_pem);

}  // namespace fedcrm::runtime
