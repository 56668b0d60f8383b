#include "bench/secagg_benchmarks.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/secagg/protocol_messages.h"
#include "core/secagg/quantization.h"
#include "core/secagg/secagg_client.h"
#include "core/secagg/secagg_server.h"
#include "core/train/secure_random.h"

namespace fedcrm::bench {
namespace {

using secagg::SecAggClient;
using secagg::SecAggServer;
using Clock = SecAggServer::Clock;

constexpr uint64_t kInputSeed = 0x5ec466;

std::string ClientName(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "silo-%03d", i);
  return buffer;
}

uint64_t ModulusMask(int bits) { return bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// Client i's input, regenerated on demand rather than kept: at n = 100 and
// d = 10^6 the inputs alone would hold another 800 MB.
std::vector<uint64_t> MakeInput(int i, uint64_t length, int bits) {
  std::mt19937_64 rng(kInputSeed + static_cast<uint64_t>(i));
  std::vector<uint64_t> input(length);
  const uint64_t mask = ModulusMask(bits);
  for (uint64_t& v : input) v = rng() & mask;
  return input;
}

template <typename Message, typename Decode>
Message WireTrip(const Message& message, Decode decode, size_t& bytes) {
  const secagg::Bytes encoded = secagg::Encode(message);
  bytes += encoded.size();
  return decode(encoded, secagg::DecodeLimits{});
}

// One server copy at a dropout rate, every survivor's unmasking shares in,
// ready for the ClosePhase that unmasks.
struct DropoutLevel {
  double rate = -1.0;
  std::set<std::string> dropped;
  std::optional<SecAggServer> server;
  double up_bytes = 0.0;  // per surviving client, the whole round
  double down_bytes = 0.0;
  bool verified = false;
};

// One (clients, length) round taken once through key sharing and masking;
// every benchmark of that pair starts from copies of it.
struct RoundFixture {
  int num_clients = 0;
  uint64_t length = 0;
  int bits = 0;
  std::unique_ptr<secagg::Round> round;         // the clients keep a reference
  std::optional<SecAggServer> server;           // phase kMaskedInput, nothing received
  std::optional<SecAggClient> probe;            // client 0 before masking
  std::map<std::string, SecAggClient> clients;  // all after masking (phase kSentMaskedInput)
  std::map<std::string, secagg::ShareInbox> inboxes;
  std::map<std::string, size_t> up_bytes, down_bytes;  // phases 1 to 3
  size_t plaintext_bytes = 0;
  DropoutLevel level;
};

std::unique_ptr<RoundFixture> BuildFixture(int num_clients, uint64_t length, int bits) {
  auto f = std::make_unique<RoundFixture>();
  f->num_clients = num_clients;
  f->length = length;
  f->bits = bits;
  secagg::RoundParameters params;
  params.round_id = "bench-n" + std::to_string(num_clients) + "-d" + std::to_string(length);
  for (int i = 0; i < num_clients; ++i) params.roster.push_back(ClientName(i));
  params.modulus_bits = bits;
  params.vector_length = length;
  f->round = std::make_unique<secagg::Round>(params);
  const auto now = Clock::now();
  SecAggServer server(*f->round, secagg::PhaseDeadlines{}, now);

  for (int i = 0; i < num_clients; ++i) {
    const std::string id = ClientName(i);
    auto& client = f->clients.emplace(id, SecAggClient(*f->round, id)).first->second;
    server.OnAdvertiseKeys(id, WireTrip(
                                   client.advertise(),
                                   [](const secagg::Bytes& b, const secagg::DecodeLimits&) {
                                     return secagg::DecodeAdvertiseKeys(b);
                                   },
                                   f->up_bytes[id]));
  }
  server.ClosePhase(now);
  for (auto& [id, client] : f->clients) {
    const auto directory =
        WireTrip(server.KeysFor(id), secagg::DecodeKeyDirectory, f->down_bytes[id]);
    server.OnShareKeys(
        id, WireTrip(client.OnKeyDirectory(directory), secagg::DecodeShareKeys, f->up_bytes[id]));
  }
  server.ClosePhase(now);
  f->server.emplace(server);

  const size_t masked_bytes =
      secagg::Encode(secagg::MaskedInput{std::vector<uint64_t>(length)}, bits).size();
  f->plaintext_bytes = masked_bytes;  // the same vector, unmasked, in the same envelope
  int i = 0;
  for (auto& [id, client] : f->clients) {
    f->inboxes[id] = WireTrip(server.SharesFor(id), secagg::DecodeShareInbox, f->down_bytes[id]);
    if (i == 0) f->probe.emplace(client);
    client.OnShareInbox(f->inboxes[id], MakeInput(i++, length, bits));
    f->up_bytes[id] += masked_bytes;
  }
  return f;
}

// The one round kept in memory: every benchmark of a (clients, length) pair
// runs back to back, and the largest round holds about 1 GB.
RoundFixture& Fixture(int num_clients, uint64_t length, int bits) {
  static std::unique_ptr<RoundFixture> cached;
  if (!cached || cached->num_clients != num_clients || cached->length != length) {
    cached.reset();
    cached = BuildFixture(num_clients, length, bits);
  }
  return *cached;
}

// Drops round(rate * n) clients, in a seeded random order, skipping any whose
// loss would leave some neighbourhood below the Shamir threshold: the server
// must still be able to finish, which a dropout rate alone does not promise.
std::set<std::string> ChooseDropped(const secagg::Round& round, double rate) {
  const auto& ids = round.roster();
  const size_t target = static_cast<size_t>(std::llround(rate * static_cast<double>(ids.size())));
  std::map<std::string, std::vector<std::string>> group;  // closed neighbourhoods
  std::map<std::string, int> alive;
  for (const std::string& id : ids) {
    group[id] = round.graph().Neighbours(id);
    group[id].push_back(id);
    alive[id] = static_cast<int>(group[id].size());
  }
  std::vector<std::string> order(ids.begin(), ids.end());
  std::shuffle(order.begin(), order.end(), std::mt19937_64(kInputSeed));
  std::set<std::string> dropped;
  for (const std::string& candidate : order) {
    if (dropped.size() == target) break;
    const auto& members = group[candidate];
    if (std::all_of(members.begin(), members.end(),
                    [&](const std::string& m) { return alive[m] - 1 >= round.threshold(); })) {
      for (const std::string& m : members) --alive[m];
      dropped.insert(candidate);
    }
  }
  if (dropped.size() < target) {
    throw ConfigError("workloads.json: secagg.dropout_rates",
                      "cannot drop " + std::to_string(target) + " of " +
                          std::to_string(ids.size()) +
                          " clients and keep every neighbourhood at "
                          "the threshold; expected a lower rate");
  }
  return dropped;
}

DropoutLevel& Level(RoundFixture& f, double rate) {
  if (f.level.rate == rate) return f.level;
  f.level = DropoutLevel{};
  DropoutLevel& level = f.level;
  level.rate = rate;
  level.dropped = ChooseDropped(*f.round, rate);
  const auto now = Clock::now();
  level.server.emplace(*f.server);
  SecAggServer& server = *level.server;
  for (auto& [id, client] : f.clients) {
    // A repeated inbox returns the masked input the client already computed.
    if (!level.dropped.count(id))
      server.OnMaskedInput(id, client.OnShareInbox(f.inboxes.at(id), {}));
  }
  server.ClosePhase(now);
  size_t survivors_bytes = 0;
  const auto survivors = WireTrip(server.Survivors(), secagg::DecodeSurvivorList, survivors_bytes);
  for (const std::string& id : survivors.survivors) {
    SecAggClient client = f.clients.at(id);  // copies keep the fixture reusable
    size_t unmask_bytes = 0;
    server.OnUnmask(
        id, WireTrip(client.OnSurvivors(survivors), secagg::DecodeUnmaskShares, unmask_bytes));
    level.up_bytes += static_cast<double>(f.up_bytes.at(id) + unmask_bytes);
    level.down_bytes += static_cast<double>(f.down_bytes.at(id) + survivors_bytes);
  }
  level.up_bytes /= static_cast<double>(survivors.survivors.size());
  level.down_bytes /= static_cast<double>(survivors.survivors.size());
  return level;
}

// The server's sum must be the survivors' inputs, bit for bit.
bool SumIsExact(const RoundFixture& f, const DropoutLevel& level,
                const std::vector<uint64_t>& sum) {
  std::vector<uint64_t> expected(f.length, 0);
  const uint64_t mask = ModulusMask(f.bits);
  for (int i = 0; i < f.num_clients; ++i) {
    if (level.dropped.count(ClientName(i))) continue;
    const std::vector<uint64_t> input = MakeInput(i, f.length, f.bits);
    for (uint64_t j = 0; j < f.length; ++j) expected[j] = (expected[j] + input[j]) & mask;
  }
  return sum == expected;
}

void RunClientMask(benchmark::State& state, int n, uint64_t d, int bits) {
  RoundFixture& f = Fixture(n, d, bits);
  const std::string& id = f.probe->self();
  const secagg::ShareInbox& inbox = f.inboxes.at(id);
  const std::vector<uint64_t> input = MakeInput(0, d, bits);
  for (auto _ : state) {
    state.PauseTiming();
    std::optional<SecAggClient> client(*f.probe);
    state.ResumeTiming();
    secagg::MaskedInput masked = client->OnShareInbox(inbox, input);
    benchmark::DoNotOptimize(masked.values.data());
    state.PauseTiming();
    client.reset();
    masked = {};
    state.ResumeTiming();
  }
  state.counters["neighbours"] = static_cast<double>(inbox.shares.size());
}

// Flower's client stage quantizes the float update before masking it, so the
// like-for-like fedcrm figure adds secagg::Quantize with Flower's defaults
// (clip 8, 2^22 levels), rounding from the CSPRNG production uses.
void RunClientQuantizeMask(benchmark::State& state, int n, uint64_t d, int bits) {
  RoundFixture& f = Fixture(n, d, bits);
  const secagg::ShareInbox& inbox = f.inboxes.at(f.probe->self());
  std::mt19937_64 rng(kInputSeed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> update(d);
  for (double& v : update) v = uniform(rng);
  const secagg::QuantizationConfig quantization{
      .clip = 8.0, .levels_bits = 22, .modulus_bits = bits};
  train::SecureRandom random = train::SecureRandom::FromOsEntropy();
  for (auto _ : state) {
    state.PauseTiming();
    std::optional<SecAggClient> client(*f.probe);
    state.ResumeTiming();
    const std::vector<uint64_t> levels =
        secagg::Quantize(update, quantization, [&random] { return random.NextU64(); });
    secagg::MaskedInput masked = client->OnShareInbox(inbox, levels);
    benchmark::DoNotOptimize(masked.values.data());
    state.PauseTiming();
    client.reset();
    masked = {};
    state.ResumeTiming();
  }
}

void RunServerUnmask(benchmark::State& state, int n, uint64_t d, int bits, double rate) {
  RoundFixture& f = Fixture(n, d, bits);
  DropoutLevel& level = Level(f, rate);
  const auto now = Clock::now();
  std::optional<SecAggServer> server;
  for (auto _ : state) {
    state.PauseTiming();
    server.emplace(*level.server);
    state.ResumeTiming();
    server->ClosePhase(now);
    state.PauseTiming();
    if (server->phase() != secagg::ServerPhase::kDone) {
      state.SkipWithError(("round failed: " + server->failure()).c_str());
      state.ResumeTiming();
      break;
    }
    if (!level.verified) {
      if (!SumIsExact(f, level, server->result())) {
        state.SkipWithError("the unmasked sum differs from the survivors' inputs");
        state.ResumeTiming();
        break;
      }
      level.verified = true;
    }
    server.reset();
    state.ResumeTiming();
  }
  state.counters["dropped"] = static_cast<double>(level.dropped.size());
  state.counters["up_bytes"] = level.up_bytes;
  state.counters["down_bytes"] = level.down_bytes;
  state.counters["plaintext_bytes"] = static_cast<double>(f.plaintext_bytes);
  state.counters["threshold"] = f.round->threshold();
  state.counters["degree"] = f.round->graph().Degree();
}

// What an aggregator without secure aggregation does with the same inputs.
void RunPlaintextSum(benchmark::State& state, int n, uint64_t d, int bits) {
  Fixture(n, d, bits).level = DropoutLevel{};  // frees a server copy's masked inputs
  std::vector<std::vector<uint64_t>> inputs;
  for (int i = 0; i < n; ++i) inputs.push_back(MakeInput(i, d, bits));
  const uint64_t mask = ModulusMask(bits);
  for (auto _ : state) {
    std::vector<uint64_t> sum(d, 0);
    for (const auto& input : inputs) {
      for (uint64_t j = 0; j < d; ++j) sum[j] = (sum[j] + input[j]) & mask;
    }
    benchmark::DoNotOptimize(sum.data());
  }
}

// Bonawitz et al. (2017) report 1.73x expansion for 2^10 clients and
// 2^20-coordinate inputs. Bytes do not depend on the values, and only the
// masked input depends on d, so the round runs at d = 1 (timed: the whole
// round's key agreement, sharing and unmasking for 1,024 clients) and the
// masked input's size at d = 2^20 is taken from its encoding.
void RunWireBytes(benchmark::State& state, int n, uint64_t d, int bits) {
  double up = 0.0, down = 0.0;
  for (auto _ : state) {
    std::unique_ptr<RoundFixture> f = BuildFixture(n, 1, bits);
    const DropoutLevel& level = Level(*f, 0.0);
    up = level.up_bytes;
    down = level.down_bytes;
  }
  const auto encoded = [bits](uint64_t length) {
    return static_cast<double>(
        secagg::Encode(secagg::MaskedInput{std::vector<uint64_t>(length)}, bits).size());
  };
  state.counters["up_bytes"] = up + encoded(d) - encoded(1);
  state.counters["down_bytes"] = down;
  state.counters["plaintext_bytes"] = encoded(d);
  state.counters["dropped"] = 0;
}

template <typename Fn>
void Register(const std::string& name, const SecAggWorkload& w, Fn fn) {
  benchmark::RegisterBenchmark(name.c_str(), fn)
      ->Unit(benchmark::kMillisecond)
      ->MinTime(w.min_time_s)
      ->Repetitions(w.repetitions)
      ->DisplayAggregatesOnly(true)
      ->MeasureProcessCPUTime();
}

}  // namespace

void RegisterSecAggBenchmarks(const BenchConfig& config) {
  const SecAggWorkload& w = config.secagg;
  const int bits = w.modulus_bits;
  for (int n : w.clients) {
    for (int64_t length : w.vector_lengths) {
      const auto d = static_cast<uint64_t>(length);
      const std::string suffix = "/n" + std::to_string(n) + "/d" + std::to_string(d);
      Register("secagg/client_mask" + suffix, w,
               [=](benchmark::State& state) { RunClientMask(state, n, d, bits); });
      Register("secagg/client_quantize_mask" + suffix, w,
               [=](benchmark::State& state) { RunClientQuantizeMask(state, n, d, bits); });
      for (double rate : w.dropout_rates) {
        const std::string drop = "/drop" + std::to_string(std::lround(rate * 100));
        Register("secagg/server_unmask" + suffix + drop, w,
                 [=](benchmark::State& state) { RunServerUnmask(state, n, d, bits, rate); });
      }
      Register("secagg/plaintext_sum" + suffix, w,
               [=](benchmark::State& state) { RunPlaintextSum(state, n, d, bits); });
    }
  }
  constexpr int kBonawitzClients = 1 << 10;
  constexpr uint64_t kBonawitzLength = uint64_t{1} << 20;
  benchmark::RegisterBenchmark(("secagg/wire_bytes/n" + std::to_string(kBonawitzClients) + "/d" +
                                std::to_string(kBonawitzLength))
                                   .c_str(),
                               [=](benchmark::State& state) {
                                 RunWireBytes(state, kBonawitzClients, kBonawitzLength, bits);
                               })
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1)
      ->MeasureProcessCPUTime();
}

}  // namespace fedcrm::bench
