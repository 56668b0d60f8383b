#include "worker/secure_sum.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "core/secagg/quantization.h"
#include "core/secagg/secagg_error.h"
#include "tests/unit/worker/secagg_relay.h"
#include "tests/unit/worker/test_pki.h"

namespace fedcrm::worker {
namespace {

using testing::BaseUrl;
using testing::SecAggRelay;
using testing::TestPki;

constexpr char kRound[] = "sum-r1";
const std::vector<std::string> kSilos = {"ap-south", "eu-west", "us-east"};

struct DropAt {
  std::string step;
};

class SecureSumTest : public ::testing::Test {
 protected:
  void Start(uint64_t length, std::chrono::milliseconds masked_deadline) {
    secagg::RoundParameters params;
    params.round_id = std::string(kRound) + "/train";
    params.roster = kSilos;
    params.modulus_bits = 32;
    params.vector_length = length;
    round_ = std::make_unique<secagg::Round>(params);
    secagg::PhaseDeadlines deadlines;
    deadlines.masked_input = masked_deadline;
    deadlines.unmask = std::chrono::milliseconds(3000);
    relay_.AddStage("train", *round_, deadlines);
    server_ = std::make_unique<runtime::HttpsServer>(TestPki::Get().ServerOptions());
    relay_.Install(*server_);
    server_->Start();
  }

  // Runs silo i with input [i+1, 10(i+1), ...]; false if it dropped.
  bool RunSilo(size_t i, const std::string& drop_at) {
    auto http = TestPki::Get().ClientFor(kSilos[i]);
    AggregatorClientOptions options;
    options.base_url = BaseUrl(*server_);
    options.round = kRound;
    options.poll_interval = std::chrono::milliseconds(20);
    options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const AggregatorClient client(*http, options);
    try {
      RunSecureSum(
          client, *round_, "train", kSilos[i], [&] { return Input(i); },
          [&](const std::string& step) {
            if (step == drop_at) throw DropAt{step};
          });
    } catch (const DropAt&) {
      return false;
    }
    return true;
  }

  std::vector<uint64_t> Input(size_t i) const {
    std::vector<uint64_t> input(round_->vector_length());
    for (size_t k = 0; k < input.size(); ++k) input[k] = (i + 1) * (k == 0 ? 1 : 10 * k);
    return input;
  }

  SecAggRelay relay_{kRound};
  std::unique_ptr<secagg::Round> round_;
  std::unique_ptr<runtime::HttpsServer> server_;
};

TEST_F(SecureSumTest, ThreeSilosRevealOnlyTheirSum) {
  Start(5, std::chrono::milliseconds(20'000));
  std::vector<std::future<bool>> silos;
  for (size_t i = 0; i < kSilos.size(); ++i) {
    silos.push_back(std::async(std::launch::async, [this, i] { return RunSilo(i, ""); }));
  }
  for (auto& silo : silos) EXPECT_TRUE(silo.get());
  ASSERT_EQ(relay_.Phase("train"), secagg::ServerPhase::kDone) << relay_.Failure("train");
  std::vector<uint64_t> expected(5, 0);
  for (size_t i = 0; i < kSilos.size(); ++i) {
    secagg::AddModular(expected, Input(i), 32);
  }
  EXPECT_EQ(relay_.Result("train"), expected);
  EXPECT_EQ(relay_.Contributors("train"), kSilos);
}

TEST_F(SecureSumTest, SiloDroppingBeforeMaskedInputIsLeftOutOfTheSum) {
  Start(4, std::chrono::milliseconds(1500));
  std::vector<std::future<bool>> silos;
  for (size_t i = 0; i < kSilos.size(); ++i) {
    const std::string drop_at = i == 1 ? "train/masked" : "";
    silos.push_back(
        std::async(std::launch::async, [this, i, drop_at] { return RunSilo(i, drop_at); }));
  }
  EXPECT_TRUE(silos[0].get());
  EXPECT_FALSE(silos[1].get());
  EXPECT_TRUE(silos[2].get());
  ASSERT_EQ(relay_.Phase("train"), secagg::ServerPhase::kDone) << relay_.Failure("train");
  std::vector<uint64_t> expected(4, 0);
  secagg::AddModular(expected, Input(0), 32);
  secagg::AddModular(expected, Input(2), 32);
  EXPECT_EQ(relay_.Result("train"), expected);
  EXPECT_EQ(relay_.Contributors("train"), (std::vector<std::string>{"ap-south", "us-east"}));
}

TEST_F(SecureSumTest, InputOfTheWrongLengthIsRefusedBeforeSending) {
  Start(3, std::chrono::milliseconds(500));
  auto http = TestPki::Get().ClientFor(kSilos[0]);
  AggregatorClientOptions options;
  options.base_url = BaseUrl(*server_);
  options.round = kRound;
  options.poll_interval = std::chrono::milliseconds(20);
  options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const AggregatorClient client(*http, options);
  // The other two silos advertise and share so the first phases close.
  std::vector<std::future<bool>> others;
  for (size_t i = 1; i < kSilos.size(); ++i) {
    others.push_back(
        std::async(std::launch::async, [this, i] { return RunSilo(i, "train/masked"); }));
  }
  std::vector<std::string> sent;
  EXPECT_THROW(RunSecureSum(
                   client, *round_, "train", kSilos[0], [] { return std::vector<uint64_t>(2, 1); },
                   [&](const std::string& step) { sent.push_back(step); }),
               secagg::SecAggError);
  EXPECT_EQ(sent, (std::vector<std::string>{"train/keys", "train/shares"}));
  for (auto& other : others) EXPECT_FALSE(other.get());
}

}  // namespace
}  // namespace fedcrm::worker
