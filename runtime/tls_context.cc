#include "runtime/tls_context.h"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>

#include "core/common/error.h"

namespace fedcrm::runtime {
namespace {

namespace ssl = boost::asio::ssl;

constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

ssl::context Hardened(ssl::context::method method) {
  ssl::context ctx(method);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::no_compression);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_cipher_list(native, kTls12Ciphers);
  return ctx;
}

// Runs `load`, turning Asio's OpenSSL errors into a ConfigError about `what`.
template <typename F>
void Load(const char* what, F&& load) {
  try {
    load();
  } catch (const boost::system::system_error& e) {
    throw ConfigError(what, std::string("cannot load PEM: ") + e.what());
  }
}

void LoadIdentity(ssl::context& ctx, const std::string& certificate_pem,
                  const std::string& private_key_pem, const char* cert_what, const char* key_what) {
  Load(cert_what, [&] { ctx.use_certificate_chain(boost::asio::buffer(certificate_pem)); });
  Load(key_what,
       [&] { ctx.use_private_key(boost::asio::buffer(private_key_pem), ssl::context::pem); });
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw ConfigError(key_what, "does not match the certificate");
  }
}

}  // namespace

ssl::context MakeServerTlsContext(const std::string& certificate_pem,
                                  const std::string& private_key_pem,
                                  const std::string& client_ca_pem,
                                  bool require_client_certificate) {
  ssl::context ctx = Hardened(ssl::context::tls_server);
  LoadIdentity(ctx, certificate_pem, private_key_pem, "server TLS certificate",
               "server TLS private key");
  if (client_ca_pem.empty()) {
    if (require_client_certificate) {
      throw ConfigError("server TLS client CA", "required when client certificates are required");
    }
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  Load("server TLS client CA",
       [&] { ctx.add_certificate_authority(boost::asio::buffer(client_ca_pem)); });
  ctx.set_verify_mode(require_client_certificate
                          ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                          : ssl::verify_peer);
  // Session resumption with client verification needs a session id context;
  // without one OpenSSL fails resumed handshakes.
  static constexpr unsigned char kSessionContext[] = "fedcrm";
  SSL_CTX_set_session_id_context(ctx.native_handle(), kSessionContext, sizeof(kSessionContext) - 1);
  return ctx;
}

ssl::context MakeClientTlsContext(const std::string& ca_pem, const std::string& certificate_pem,
                                  const std::string& private_key_pem) {
  ssl::context ctx = Hardened(ssl::context::tls_client);
  if (ca_pem.empty()) throw ConfigError("client TLS CA", "required to verify the server");
  Load("client TLS CA", [&] { ctx.add_certificate_authority(boost::asio::buffer(ca_pem)); });
  if (certificate_pem.empty() != private_key_pem.empty()) {
    throw ConfigError("client TLS certificate", "certificate and private key go together");
  }
  if (!certificate_pem.empty()) {
    LoadIdentity(ctx, certificate_pem, private_key_pem, "client TLS certificate",
                 "client TLS private key");
  }
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace fedcrm::runtime
