#include "worker/aggregator_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "core/model/model_file.h"
#include "tests/unit/worker/test_pki.h"

namespace fedcrm::worker {
namespace {

using testing::BaseUrl;
using testing::TestPki;

class AggregatorClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<runtime::HttpsServer>(TestPki::Get().ServerOptions());
    server_->Handle("GET", "/v1/rounds/r1", [](const runtime::Request& r) {
      if (r.path == "/v1/rounds/r1") {
        return runtime::Response::Json(
            200, R"({"phase": "statistics/keys", "who": ")" + r.peer_identity + "\"}");
      }
      return runtime::Response::Error(404, "unknown download");
    });
    server_->Handle("GET", "/v1/rounds/r1/training/keys", [this](const runtime::Request&) {
      if (++polls_ < 3) {
        runtime::Response response;
        response.status = 202;
        response.headers.emplace_back("Retry-After", "1");
        return response;
      }
      return runtime::Response::Text(200, "directory");
    });
    server_->Handle("POST", "/v1/rounds/r1/training/masked", [this](const runtime::Request& r) {
      if (++posts_ < 3) return runtime::Response::Error(503, "busy");
      received_ = r.body;
      return runtime::Response::Json(200, "{}");
    });
    server_->Handle("POST", "/v1/rounds/r1/training/unmask", [this](const runtime::Request&) {
      ++posts_;
      return runtime::Response::Error(409, "round failed: too few survivors");
    });
    server_->Handle("GET", "/v1/models", [](const runtime::Request& r) {
      if (r.path == "/v1/models/" + model::Digest("model bytes")) {
        return runtime::Response::Text(200, "model bytes");
      }
      return runtime::Response::Text(200, "tampered bytes");
    });
    server_->Start();
    http_ = TestPki::Get().ClientFor("eu-west");
  }

  AggregatorClient Client(std::string base_url = "") const {
    AggregatorClientOptions options;
    options.base_url = base_url.empty() ? BaseUrl(*server_) : base_url;
    options.round = "r1";
    options.poll_interval = std::chrono::milliseconds(10);
    options.first_backoff = std::chrono::milliseconds(1);
    options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    return AggregatorClient(*http_, options);
  }

  std::unique_ptr<runtime::HttpsServer> server_;
  std::unique_ptr<runtime::HttpsClient> http_;
  std::atomic<int> polls_{0};
  std::atomic<int> posts_{0};
  std::string received_;
};

TEST_F(AggregatorClientTest, GetRoundSpeaksAsTheCertificateIdentity) {
  const nlohmann::json status = Client().GetRound();
  EXPECT_EQ(status["who"], "eu-west");
}

TEST_F(AggregatorClientTest, PollWaitsThrough202WithThePollIntervalCap) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Client().Poll("training", "keys"), "directory");
  EXPECT_EQ(polls_.load(), 3);
  // Retry-After: 1 is capped by the 10 ms poll interval.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1900));
}

TEST_F(AggregatorClientTest, PostRetries5xxAndSendsTheBytesUnchanged) {
  const std::vector<uint8_t> message = {0, 1, 2, 255, 0, 7};
  Client().Post("training", "masked", message);
  EXPECT_EQ(posts_.load(), 3);
  EXPECT_EQ(received_, std::string("\x00\x01\x02\xff\x00\x07", 6));
}

TEST_F(AggregatorClientTest, FourHundredsAreFinalAndCarryTheServersMessage) {
  try {
    Client().Post("training", "unmask", std::vector<uint8_t>{1});
    FAIL() << "expected AggregatorError";
  } catch (const AggregatorError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_NE(std::string(e.what()).find("too few survivors"), std::string::npos) << e.what();
  }
  EXPECT_EQ(posts_.load(), 1);
  try {
    Client().Poll("training", "nothing");
    FAIL() << "expected AggregatorError";
  } catch (const AggregatorError& e) {
    EXPECT_EQ(e.status(), 404);
  }
}

TEST_F(AggregatorClientTest, ModelDigestIsVerified) {
  EXPECT_EQ(Client().GetModel(model::Digest("model bytes")), "model bytes");
  try {
    Client().GetModel(model::Digest("other model"));
    FAIL() << "expected AggregatorError";
  } catch (const AggregatorError& e) {
    EXPECT_NE(std::string(e.what()).find("hash"), std::string::npos) << e.what();
  }
}

TEST_F(AggregatorClientTest, UnreachableAggregatorFailsClearlyAfterRetries) {
  const uint16_t port = server_->port();
  server_->Stop(std::chrono::milliseconds(100));
  try {
    Client("https://127.0.0.1:" + std::to_string(port)).GetRound();
    FAIL() << "expected AggregatorError";
  } catch (const AggregatorError& e) {
    EXPECT_EQ(e.status(), 0);
    EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("5 attempts"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fedcrm::worker
