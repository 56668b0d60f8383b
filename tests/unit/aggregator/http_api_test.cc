#include "aggregator/http_api.h"

#include <gtest/gtest.h>

#include "aggregator/round_registry.h"
#include "core/secagg/secagg_client.h"
#include "tests/unit/aggregator/test_round.h"

namespace fedcrm::aggregator {
namespace {

using runtime::Request;
using runtime::Response;

const std::vector<std::string> kSilos = {"eu", "us", "ap"};

class HttpApiTest : public ::testing::Test {
 protected:
  HttpApiTest()
      : registry_(env_.services()), api_(&registry_, &env_.store(), &env_.metrics(), {}) {}

  Response Call(const std::string& method, const std::string& path, const std::string& identity,
                std::string body = "") {
    Request r;
    r.method = method;
    r.path = r.target = path;
    r.peer_identity = identity;
    r.body = std::move(body);
    return api_.Handle(r);
  }
  Response PutRound(const std::string& id, const nlohmann::json& config) {
    return Call("PUT", "/v1/rounds/" + id, "fedcrm-operator", config.dump());
  }
  static std::string Body(const secagg::Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

  testing::TestEnv env_;
  RoundRegistry registry_;
  HttpApi api_;
};

TEST_F(HttpApiTest, PutCreatesConfirmsAndRefusesChanges) {
  const auto config = testing::TestConfig(kSilos);
  const Response created = PutRound("r1", config);
  ASSERT_EQ(created.status, 201) << created.body;
  const auto status = nlohmann::json::parse(created.body);
  EXPECT_EQ(status["round"], "r1");
  EXPECT_EQ(status["phase"], "statistics/advertise-keys");
  EXPECT_EQ(PutRound("r1", config).status, 200);
  auto changed = config;
  changed["training"]["localSteps"] = 21;
  EXPECT_EQ(PutRound("r1", changed).status, 409);
}

TEST_F(HttpApiTest, OnlyTheCoordinatorConfiguresAndOnlyTheRosterReads) {
  const auto config = testing::TestConfig(kSilos);
  EXPECT_EQ(Call("PUT", "/v1/rounds/r1", "eu", config.dump()).status, 403);
  EXPECT_EQ(Call("PUT", "/v1/rounds/r1", "", config.dump()).status, 403);
  ASSERT_EQ(PutRound("r1", config).status, 201);
  EXPECT_EQ(Call("GET", "/v1/rounds/r1", "eu").status, 200);
  EXPECT_EQ(Call("GET", "/v1/rounds/r1", "fedcrm-operator").status, 200);
  EXPECT_EQ(Call("GET", "/v1/rounds/r1", "mallory").status, 403);
  EXPECT_EQ(Call("POST", "/v1/rounds/r1/statistics/keys", "mallory").status, 403);
  EXPECT_EQ(Call("GET", "/v1/rounds/r1/statistics/keys", "fedcrm-operator").status, 403);
  EXPECT_NE(env_.metrics().Render().find("fedcrm_aggregator_requests_total{code=\"403\"} 5"),
            std::string::npos)
      << env_.metrics().Render();
}

TEST_F(HttpApiTest, MalformedBodiesAre400) {
  EXPECT_EQ(Call("PUT", "/v1/rounds/r1", "fedcrm-operator", "{not json").status, 400);
  auto bad = testing::TestConfig(kSilos);
  bad["secureAggregation"]["modulusBits"] = 48;
  const Response refused = PutRound("r1", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("modulusBits"), std::string::npos) << refused.body;
  EXPECT_EQ(PutRound("bad/id", testing::TestConfig(kSilos)).status, 404);  // not a round path

  ASSERT_EQ(PutRound("r1", testing::TestConfig(kSilos)).status, 201);
  EXPECT_EQ(Call("POST", "/v1/rounds/r1/statistics/keys", "eu", "garbage").status, 400);
  const secagg::Round round({"r1/statistics", kSilos, 0, {}, 64, 7});
  secagg::SecAggClient client(round, "eu");
  std::string keys = Body(secagg::Encode(client.advertise()));
  const Response truncated =
      Call("POST", "/v1/rounds/r1/statistics/keys", "eu", keys.substr(0, keys.size() - 3));
  EXPECT_EQ(truncated.status, 400);
  EXPECT_NE(truncated.body.find("error"), std::string::npos);
  EXPECT_EQ(Call("POST", "/v1/rounds/r1/statistics/keys", "eu", keys).status, 200);
  EXPECT_EQ(Call("POST", "/v1/rounds/r1/statistics/keys", "eu", keys).status, 200);  // resend
}

TEST_F(HttpApiTest, UnknownThingsAre404) {
  EXPECT_EQ(Call("GET", "/v1/rounds/nope", "fedcrm-operator").status, 404);
  EXPECT_EQ(Call("GET", "/v1/rounds/nope/training/keys", "eu").status, 404);
  EXPECT_EQ(Call("GET", "/v1/models/sha256:" + std::string(64, 'c'), "eu").status, 404);
  EXPECT_EQ(Call("GET", "/v1/models/../../etc/passwd", "eu").status, 404);
  EXPECT_EQ(Call("GET", "/v1/models/sha256:xyz", "eu").status, 400);
  ASSERT_EQ(PutRound("r1", testing::TestConfig(kSilos)).status, 201);
  EXPECT_EQ(Call("GET", "/v1/rounds/r1/evaluation/keys", "eu").status, 404);
  EXPECT_EQ(Call("GET", "/v1/rounds/r1/training/nonsense", "eu").status, 404);
}

TEST_F(HttpApiTest, NotReadyIs202AndOutOfPhaseIs409) {
  ASSERT_EQ(PutRound("r1", testing::TestConfig(kSilos)).status, 201);
  const Response keys = Call("GET", "/v1/rounds/r1/statistics/keys", "eu");
  EXPECT_EQ(keys.status, 202);
  EXPECT_EQ(runtime::FindHeader(keys.headers, "Retry-After"), "1");
  EXPECT_TRUE(keys.body.empty());
  EXPECT_EQ(Call("GET", "/v1/rounds/r1/statistics/survivors", "eu").status, 202);
  EXPECT_EQ(Call("GET", "/v1/rounds/r1/statistics/result", "eu").status, 202);
  // The training stage has not started while statistics run.
  EXPECT_EQ(Call("GET", "/v1/rounds/r1/training/keys", "eu").status, 202);

  const secagg::MaskedInput masked{std::vector<uint64_t>(7, 1)};
  const Response early =
      Call("POST", "/v1/rounds/r1/statistics/masked", "eu", Body(secagg::Encode(masked, 64)));
  EXPECT_EQ(early.status, 409) << early.body;
}

TEST_F(HttpApiTest, ServesStoredModels) {
  const Response created = PutRound("r1", testing::TestConfig(kSilos));
  ASSERT_EQ(created.status, 201);
  const std::string digest = nlohmann::json::parse(created.body)["baseModel"];
  const Response model = Call("GET", "/v1/models/" + digest, "eu");
  ASSERT_EQ(model.status, 200);
  EXPECT_EQ(model.content_type, "application/octet-stream");
  EXPECT_EQ(model.body, *env_.store().Get(digest));
}

}  // namespace
}  // namespace fedcrm::aggregator
