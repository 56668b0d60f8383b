#include "runtime/http_message.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace fedcrm::runtime {

std::string FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    const bool same = key.size() == name.size() &&
                      std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                        return std::tolower(static_cast<unsigned char>(a)) ==
                               std::tolower(static_cast<unsigned char>(b));
                      });
    if (same) return value;
  }
  return "";
}

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::Json(int status, std::string json_body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(json_body);
  return response;
}

Response Response::Error(int status, const std::string& message) {
  const nlohmann::json body = {{"error", message}};
  return Json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace fedcrm::runtime
