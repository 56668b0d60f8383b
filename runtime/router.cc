#include "runtime/router.h"

#include <algorithm>

#include "core/common/error.h"
#include "runtime/log.h"

namespace fedcrm::runtime {

bool PathHasPrefix(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || prefix.empty() || prefix.back() == '/' ||
         path[prefix.size()] == '/';
}

void Router::Handle(std::string method, std::string path_prefix, Handler handler) {
  routes_.push_back({std::move(method), std::move(path_prefix), std::move(handler)});
}

Response Router::Dispatch(const Request& request) const {
  const Route* best = nullptr;
  std::vector<std::string> allowed;
  size_t best_length = 0;
  for (const Route& route : routes_) {
    if (!PathHasPrefix(request.path, route.prefix)) continue;
    if (route.method != "*" && route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    if (best == nullptr || route.prefix.size() > best_length) {
      best = &route;
      best_length = route.prefix.size();
    }
  }
  if (best == nullptr) {
    if (allowed.empty()) return Response::Error(404, "no such resource: " + request.path);
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string allow;
    for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
    Response response =
        Response::Error(405, "method " + request.method + " not allowed on " + request.path);
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  try {
    return best->handler(request);
  } catch (const fedcrm::Error& e) {
    return Response::Error(400, e.what());
  } catch (const std::exception& e) {
    Log().Error("request handler failed",
                {{"method", request.method}, {"path", request.path}, {"error", e.what()}});
    return Response::Error(500, "internal error");
  }
}

}  // namespace fedcrm::runtime
