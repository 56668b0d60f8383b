#include "runtime/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/common/error.h"

namespace fedcrm::runtime {
namespace {

Request Make(const std::string& method, const std::string& path) {
  Request request;
  request.method = method;
  request.path = path;
  request.target = path;
  return request;
}

Handler Reply(const std::string& text) {
  return [text](const Request&) { return Response::Text(200, text); };
}

TEST(RouterTest, LongestSegmentPrefixWins) {
  Router router;
  router.Handle("GET", "/v1", Reply("v1"));
  router.Handle("GET", "/v1/rounds", Reply("rounds"));
  EXPECT_EQ(router.Dispatch(Make("GET", "/v1/rounds/7")).body, "rounds");
  EXPECT_EQ(router.Dispatch(Make("GET", "/v1/rounds")).body, "rounds");
  EXPECT_EQ(router.Dispatch(Make("GET", "/v1/roundsX")).body, "v1");
  EXPECT_EQ(router.Dispatch(Make("GET", "/v2")).status, 404);
}

TEST(RouterTest, WrongMethodGets405WithAllow) {
  Router router;
  router.Handle("POST", "/v1/input", Reply("ok"));
  router.Handle("PUT", "/v1/input", Reply("ok"));
  const Response response = router.Dispatch(Make("GET", "/v1/input"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(FindHeader(response.headers, "allow"), "POST, PUT");
}

TEST(RouterTest, HandlerErrorsBecomeStatusCodes) {
  Router router;
  router.Handle("*", "/bad", [](const Request&) -> Response {
    throw ConfigError("body: round", "expected an integer");
  });
  router.Handle("*", "/bug", [](const Request&) -> Response { throw std::logic_error("secret"); });
  const Response bad = router.Dispatch(Make("POST", "/bad"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("body: round: expected an integer"), std::string::npos);
  const Response bug = router.Dispatch(Make("POST", "/bug"));
  EXPECT_EQ(bug.status, 500);
  EXPECT_EQ(bug.body.find("secret"), std::string::npos);
}

TEST(HttpMessageTest, HeaderLookupIsCaseInsensitive) {
  Request request;
  request.headers = {{"Content-Type", "a"}, {"X-Round", "7"}};
  EXPECT_EQ(request.Header("content-type"), "a");
  EXPECT_EQ(request.Header("X-ROUND"), "7");
  EXPECT_EQ(request.Header("missing"), "");
}

}  // namespace
}  // namespace fedcrm::runtime
