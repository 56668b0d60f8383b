// Certificates for the worker tests: one federation CA, an aggregator
// certificate for 127.0.0.1 and a client certificate per silo.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "runtime/certificates.h"
#include "runtime/https_client.h"
#include "runtime/https_server.h"

namespace fedcrm::worker::testing {

class TestPki {
 public:
  static const TestPki& Get();

  const runtime::CertificateAuthority& ca() const { return ca_; }
  const runtime::IssuedCertificate& server() const { return server_; }
  // Issued on first use, for any identity.
  const runtime::IssuedCertificate& Client(const std::string& identity) const;

  runtime::ServerOptions ServerOptions() const;
  std::unique_ptr<runtime::HttpsClient> ClientFor(const std::string& identity) const;

 private:
  TestPki();
  runtime::CertificateAuthority ca_;
  runtime::IssuedCertificate server_;
  mutable std::map<std::string, runtime::IssuedCertificate> clients_;
};

std::string BaseUrl(const runtime::HttpsServer& server);

}  // namespace fedcrm::worker::testing
