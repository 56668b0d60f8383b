// Maps (method, path prefix) to handlers.
//
// The longest matching prefix wins; a prefix matches whole path segments
// ("/v1/rounds" matches "/v1/rounds" and "/v1/rounds/7", not "/v1/roundsX").
// A path that matches but with another method gets 405 with an Allow header;
// no match gets 404. Handler exceptions never escape: fedcrm::Error (a bad
// request) becomes 400 with its message, anything else 500 without details
// (logged instead, since internals may not be the client's business).
#pragma once

#include <string>
#include <vector>

#include "runtime/http_message.h"

namespace fedcrm::runtime {

class Router {
 public:
  // method "*" matches any method.
  void Handle(std::string method, std::string path_prefix, Handler handler);
  Response Dispatch(const Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string prefix;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// True when `prefix` covers `path` on segment boundaries.
bool PathHasPrefix(const std::string& path, const std::string& prefix);

}  // namespace fedcrm::runtime
