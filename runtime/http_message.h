// The request a handler sees and the response it returns, independent of the
// HTTP library underneath (Beast), so that handlers are plain functions that
// tests can call without a socket.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedcrm::runtime {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name` (case-insensitive), or "" when absent.
std::string FindHeader(const HttpHeaders& headers, std::string_view name);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/v1/rounds/7?wait=1"
  std::string path;    // "/v1/rounds/7" (not percent-decoded)
  std::string query;   // "wait=1" (without '?'; not decoded)
  HttpHeaders headers;
  std::string body;  // binary-safe
  // The identity from the client certificate verified on THIS connection
  // (runtime/certificates.h); "" on plain HTTP or when no certificate was sent.
  std::string peer_identity;
  std::string remote_address;  // "10.0.0.7:51234", for logs only, never for authorization

  std::string Header(std::string_view name) const { return FindHeader(headers, name); }
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  HttpHeaders headers;  // extra headers; Content-Type/Length are set from the fields above

  static Response Text(int status, std::string body);
  static Response Json(int status, std::string json_body);
  // {"error": message} with the given status.
  static Response Error(int status, const std::string& message);
};

using Handler = std::function<Response(const Request&)>;

}  // namespace fedcrm::runtime
