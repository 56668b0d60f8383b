// The SecAgg+ client and server state machines, driven without a network.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "core/secagg/protocol_messages.h"
#include "core/secagg/secagg_client.h"
#include "core/secagg/secagg_server.h"

namespace fedcrm::secagg {
namespace {

using Clock = SecAggServer::Clock;

// When a client stops: before advertising keys, before sharing keys, before
// sending its masked input, before unmasking, or never.
enum class DropAt { kAdvertise, kShareKeys, kMaskedInput, kUnmask, kNever };

std::string Name(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "silo-%03d", i);
  return buffer;
}

// Every message goes through its wire encoding, as over the network.
template <typename Message, typename Decode>
Message WireTrip(const Message& m, Decode decode) {
  const Bytes bytes = Encode(m);
  return decode(bytes, DecodeLimits{});
}

struct Outcome {
  ServerPhase phase;
  std::string failure;
  std::vector<uint64_t> result;
  std::vector<uint64_t> expected;
  std::map<std::string, MaskedInput> held;
  std::map<std::string, std::vector<uint64_t>> inputs;
};

Outcome RunRound(int n, int bits, uint64_t length, const std::map<int, DropAt>& drops,
                 uint64_t seed, GraphConfig graph = {}, int threshold = 0) {
  RoundParameters params;
  params.round_id = "round-" + std::to_string(seed);
  for (int i = 0; i < n; ++i) params.roster.push_back(Name(i));
  params.modulus_bits = bits;
  params.vector_length = length;
  params.graph = graph;
  params.threshold = threshold;
  const Round round(params);
  auto now = Clock::now();
  SecAggServer server(round, PhaseDeadlines{}, now);
  DecodeLimits limits;
  limits.modulus_bits = bits;

  std::mt19937_64 rng(seed);
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  Outcome out;
  std::map<std::string, SecAggClient> clients;
  std::map<std::string, DropAt> drop_at;
  for (int i = 0; i < n; ++i) {
    const std::string id = Name(i);
    clients.emplace(id, SecAggClient(round, id));
    drop_at[id] = drops.count(i) ? drops.at(i) : DropAt::kNever;
    auto& input = out.inputs[id];
    for (uint64_t j = 0; j < length; ++j) input.push_back(rng() & mask);
  }
  auto active = [&](const std::string& id, DropAt phase) { return drop_at[id] > phase; };

  for (auto& [id, client] : clients) {
    if (active(id, DropAt::kAdvertise)) {
      server.OnAdvertiseKeys(id, DecodeAdvertiseKeys(Encode(client.advertise())));
    }
  }
  server.ClosePhase(now);
  for (auto& [id, client] : clients) {
    if (server.phase() != ServerPhase::kShareKeys) break;
    if (!active(id, DropAt::kShareKeys) || !active(id, DropAt::kAdvertise)) continue;
    const auto directory = WireTrip(server.KeysFor(id), DecodeKeyDirectory);
    server.OnShareKeys(id, WireTrip(client.OnKeyDirectory(directory), DecodeShareKeys));
  }
  server.ClosePhase(now);
  for (auto& [id, client] : clients) {
    if (server.phase() != ServerPhase::kMaskedInput) break;
    if (!active(id, DropAt::kMaskedInput)) continue;
    const auto inbox = WireTrip(server.SharesFor(id), DecodeShareInbox);
    const MaskedInput masked = client.OnShareInbox(inbox, out.inputs[id]);
    server.OnMaskedInput(id, DecodeMaskedInput(Encode(masked, bits), limits));
  }
  server.ClosePhase(now);
  out.held = server.held_masked_inputs();
  for (auto& [id, client] : clients) {
    if (server.phase() != ServerPhase::kUnmask) break;
    if (!active(id, DropAt::kUnmask)) continue;
    const auto survivors = WireTrip(server.Survivors(), DecodeSurvivorList);
    server.OnUnmask(id, WireTrip(client.OnSurvivors(survivors), DecodeUnmaskShares));
  }
  server.ClosePhase(now);

  out.phase = server.phase();
  out.failure = server.failure();
  if (out.phase == ServerPhase::kDone) out.result = server.result();
  out.expected.assign(length, 0);
  for (const auto& [id, input] : out.inputs) {
    if (!active(id, DropAt::kUnmask) && drop_at[id] != DropAt::kUnmask) continue;
    for (uint64_t j = 0; j < length; ++j) out.expected[j] = (out.expected[j] + input[j]) & mask;
  }
  return out;
}

TEST(SecAggProtocolTest, SumIsExactWithoutDropouts) {
  for (int n : {3, 10, 50}) {
    for (int bits : {32, 64}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " bits=" + std::to_string(bits));
      const Outcome o = RunRound(n, bits, 64, {}, 100 + n + bits);
      ASSERT_EQ(o.phase, ServerPhase::kDone) << o.failure;
      EXPECT_EQ(o.result, o.expected);
    }
  }
}

// Dropouts at every phase, as many as the threshold allows: the sum of the
// inputs that reached the server, bit for bit.
TEST(SecAggProtocolTest, SumIsExactWithDropoutsAtEveryPhase) {
  for (int n : {3, 10}) {
    const int t = n / 2 + 1;  // the default threshold on a complete graph
    const int max_drops = n - t;
    for (DropAt phase :
         {DropAt::kAdvertise, DropAt::kShareKeys, DropAt::kMaskedInput, DropAt::kUnmask}) {
      for (int drops = 1; drops <= max_drops; ++drops) {
        SCOPED_TRACE("n=" + std::to_string(n) + " phase=" + std::to_string(int(phase)) +
                     " drops=" + std::to_string(drops));
        std::map<int, DropAt> plan;
        for (int d = 0; d < drops; ++d) plan[(d * 7 + 1) % n] = phase;
        const Outcome o = RunRound(n, 32, 32, plan, 7 * n + drops);
        ASSERT_EQ(o.phase, ServerPhase::kDone) << o.failure;
        EXPECT_EQ(o.result, o.expected);
      }
    }
  }
}

TEST(SecAggProtocolTest, MixedDropoutsInALargeSparseFederation) {
  // 50 clients on a k-regular graph (complete only up to 32).
  std::map<int, DropAt> plan = {{3, DropAt::kAdvertise},
                                {11, DropAt::kShareKeys},
                                {20, DropAt::kMaskedInput},
                                {33, DropAt::kUnmask},
                                {47, DropAt::kMaskedInput}};
  const Outcome o = RunRound(50, 32, 128, plan, 4242);
  ASSERT_EQ(o.phase, ServerPhase::kDone) << o.failure;
  EXPECT_EQ(o.result, o.expected);
}

TEST(SecAggProtocolTest, TooFewSurvivorsFailsWithAReason) {
  // n = 3, t = 2: two clients gone before the masked input.
  const Outcome o = RunRound(3, 32, 8, {{0, DropAt::kMaskedInput}, {1, DropAt::kMaskedInput}}, 9);
  EXPECT_EQ(o.phase, ServerPhase::kFailed);
  EXPECT_NE(o.failure.find("fewer than the threshold 2"), std::string::npos) << o.failure;
}

TEST(SecAggProtocolTest, LowerThresholdToleratesMoreDropouts) {
  // One client dropped after its masked input, one before, one survivor: a
  // threshold of 1 still recovers the sum of the two inputs that arrived.
  const Outcome o = RunRound(3, 32, 16, {{0, DropAt::kUnmask}, {1, DropAt::kMaskedInput}}, 10,
                             GraphConfig{}, /*threshold=*/1);
  ASSERT_EQ(o.phase, ServerPhase::kDone) << o.failure;
  EXPECT_EQ(o.result, o.expected);
}

// Before unmasking the server holds only masked vectors: each differs from
// its input in every coordinate and looks uniform over Z_{2^32}.
TEST(SecAggProtocolTest, ServerHoldsOnlyMaskedVectors) {
  const uint64_t length = 4096;
  const Outcome o = RunRound(5, 32, length, {}, 77);
  ASSERT_EQ(o.held.size(), 5u);
  for (const auto& [id, masked] : o.held) {
    const auto& input = o.inputs.at(id);
    for (uint64_t j = 0; j < length; ++j) EXPECT_NE(masked.values[j], input[j]) << id << " " << j;
    // Chi-square over 16 buckets of the top 4 bits: uniform at the 0.1% level
    // (critical value 37.7 for 15 degrees of freedom).
    std::vector<double> counts(16, 0);
    for (uint64_t v : masked.values) counts[v >> 28] += 1;
    double chi2 = 0;
    const double expected = static_cast<double>(length) / 16;
    for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
    EXPECT_LT(chi2, 37.7) << id;
  }
}

TEST(SecAggProtocolTest, ServerRefusesOutOfPhaseForeignAndConflictingMessages) {
  RoundParameters params{"r", {"a", "b", "c"}, 0, {}, 32, 4};
  const Round round(params);
  SecAggServer server(round, {}, Clock::now());
  SecAggClient a(round, "a");
  server.OnAdvertiseKeys("a", a.advertise());
  server.OnAdvertiseKeys("a", a.advertise());  // an idempotent retry
  SecAggClient other(round, "a");
  try {
    server.OnAdvertiseKeys("a", other.advertise());
    FAIL() << "a different message from the same client must conflict";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ProtocolError::Kind::kConflict);
  }
  try {
    server.OnAdvertiseKeys("mallory", a.advertise());
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ProtocolError::Kind::kForbidden);
  }
  try {
    server.OnMaskedInput("a", MaskedInput{{1, 2, 3, 4}});
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ProtocolError::Kind::kConflict);
    EXPECT_NE(std::string(e.what()).find("phase advertise-keys"), std::string::npos);
  }
}

TEST(SecAggProtocolTest, DeadlineClosesThePhase) {
  RoundParameters params{"r", {"a", "b", "c"}, 0, {}, 32, 4};
  const auto start = Clock::now();
  SecAggServer server(Round(params), PhaseDeadlines{}, start);
  EXPECT_FALSE(server.Tick(start));
  EXPECT_TRUE(server.Tick(start + std::chrono::minutes(2)));
  EXPECT_EQ(server.phase(), ServerPhase::kFailed);  // nobody advertised
  EXPECT_NE(server.failure().find("0 clients advertised keys"), std::string::npos);
}

TEST(SecAggProtocolTest, ClientDetectsTamperedShares) {
  RoundParameters params{"r", {"a", "b", "c"}, 0, {}, 32, 4};
  const Round round(params);
  SecAggServer server(round, {}, Clock::now());
  std::map<std::string, SecAggClient> clients;
  for (const char* id : {"a", "b", "c"}) {
    clients.emplace(id, SecAggClient(round, id));
    server.OnAdvertiseKeys(id, clients.at(id).advertise());
  }
  server.ClosePhase(Clock::now());
  for (auto& [id, c] : clients) server.OnShareKeys(id, c.OnKeyDirectory(server.KeysFor(id)));
  server.ClosePhase(Clock::now());
  ShareInbox inbox = server.SharesFor("a");
  inbox.shares[0].ciphertext[20] ^= 1;
  EXPECT_THROW(clients.at("a").OnShareInbox(inbox, std::vector<uint64_t>(4, 0)), SecAggError);
}

}  // namespace
}  // namespace fedcrm::secagg
