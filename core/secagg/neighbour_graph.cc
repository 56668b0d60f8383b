#include "core/secagg/neighbour_graph.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <numeric>

#include "core/common/error.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

constexpr char kWhere[] = "secagg neighbour graph";
// Domain separation: no other use of SHA-256(round id) yields the same stream.
constexpr std::string_view kSeedLabel = "fedcrm/secagg/neighbour-graph/v1";

using Digest = std::array<uint8_t, 32>;

std::string Field(const char* name) { return std::string(kWhere) + ": " + name; }

Digest Sha256(std::string_view data) {
  Digest digest;
  unsigned int size = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  if (ok != 1 || size != digest.size()) {
    throw SecAggError(kWhere, "SHA-256 failed in OpenSSL");
  }
  return digest;
}

// A deterministic stream of 64-bit words: SHA-256(seed || counter) blocks,
// read little-endian. Portable, unlike std::uniform_int_distribution, whose
// output differs between standard libraries.
class HashStream {
 public:
  explicit HashStream(std::string_view round_id) {
    std::string input(kSeedLabel);
    input.push_back('\0');
    input.append(round_id);
    seed_ = Sha256(input);
  }

  uint64_t Next() {
    if (word_ == 4) Refill();
    uint64_t value = 0;
    for (int b = 7; b >= 0; --b) value = (value << 8) | block_[word_ * 8 + b];
    ++word_;
    return value;
  }

  // Uniform on [0, bound) without modulo bias. Requires bound > 0.
  uint64_t Below(uint64_t bound) {
    const uint64_t reject_below = (0 - bound) % bound;  // 2^64 mod bound
    uint64_t value = Next();
    while (value < reject_below) value = Next();
    return value % bound;
  }

 private:
  void Refill() {
    std::string input(seed_.begin(), seed_.end());
    for (int b = 0; b < 8; ++b) input.push_back(static_cast<char>((counter_ >> (8 * b)) & 0xff));
    ++counter_;
    block_ = Sha256(input);
    word_ = 0;
  }

  Digest seed_{};
  Digest block_{};
  uint64_t counter_ = 0;
  int word_ = 4;
};

std::vector<std::string> SortedUniqueIds(const std::vector<std::string>& client_ids) {
  if (client_ids.empty()) {
    throw ConfigError(Field("client_ids"), "no clients, expected at least one");
  }
  if (client_ids.size() > static_cast<size_t>(INT_MAX)) {
    throw ConfigError(Field("client_ids"), "too many clients");
  }
  std::vector<std::string> ids = client_ids;
  std::sort(ids.begin(), ids.end());
  if (ids.front().empty()) {
    throw ConfigError(Field("client_ids"), "an empty client id, expected a non-empty string");
  }
  const auto duplicate = std::adjacent_find(ids.begin(), ids.end());
  if (duplicate != ids.end()) {
    throw ConfigError(Field("client_ids"),
                      "client id '" + *duplicate + "' appears more than once, expected unique ids");
  }
  return ids;
}

int SparseDegree(int64_t n, const GraphConfig& config) {
  const int k = config.degree == 0 ? NeighbourGraph::DefaultDegree(n) : config.degree;
  if (k >= n) {
    throw ConfigError(Field("degree"), "got " + std::to_string(k) + " for " + std::to_string(n) +
                                           " clients, expected fewer neighbours than clients");
  }
  if (k % 2 == 1 && n % 2 == 1) {
    throw ConfigError(Field("degree"), "got odd degree " + std::to_string(k) +
                                           " for an odd number of clients (" + std::to_string(n) +
                                           "): no such regular graph exists; use an even degree");
  }
  return k;
}

// Harary graph H(k, n) over a hash-seeded random ring order of the clients.
std::vector<std::vector<int>> HararyOverPermutation(int n, int k, std::string_view round_id) {
  std::vector<int> ring(n);
  std::iota(ring.begin(), ring.end(), 0);
  HashStream stream(round_id);
  for (int i = n - 1; i > 0; --i) {
    std::swap(ring[i], ring[stream.Below(static_cast<uint64_t>(i) + 1)]);
  }
  std::vector<std::vector<int>> adjacency(n);
  for (int p = 0; p < n; ++p) {
    std::vector<int>& neighbours = adjacency[ring[p]];
    for (int j = 1; j <= k / 2; ++j) {
      neighbours.push_back(ring[(p + j) % n]);
      neighbours.push_back(ring[(p - j + n) % n]);
    }
    // The opposite node; a symmetric relation only when n is even, which
    // SparseDegree guarantees for odd k.
    if (k % 2 == 1) neighbours.push_back(ring[(p + n / 2) % n]);
    std::sort(neighbours.begin(), neighbours.end());
  }
  return adjacency;
}

}  // namespace

int NeighbourGraph::DefaultDegree(int64_t num_clients) {
  if (num_clients <= 1) return 0;
  int k = static_cast<int>(std::ceil(3 * std::log2(static_cast<double>(num_clients))));
  if (k % 2 == 1) ++k;
  return static_cast<int>(std::min<int64_t>(k, num_clients - 1));
}

NeighbourGraph NeighbourGraph::Build(const std::vector<std::string>& client_ids,
                                     std::string_view round_id, const GraphConfig& config) {
  if (config.complete_up_to < 0) {
    throw ConfigError(Field("complete_up_to"),
                      "got " + std::to_string(config.complete_up_to) + ", expected >= 0");
  }
  if (config.degree < 0) {
    throw ConfigError(Field("degree"), "got " + std::to_string(config.degree) +
                                           ", expected >= 0 (0 chooses the default)");
  }
  std::vector<std::string> ids = SortedUniqueIds(client_ids);
  const int n = static_cast<int>(ids.size());
  if (n <= config.complete_up_to) {
    return NeighbourGraph(std::move(ids), /*complete=*/true, n - 1, {});
  }
  const int k = SparseDegree(n, config);
  return NeighbourGraph(std::move(ids), /*complete=*/false, k,
                        HararyOverPermutation(n, k, round_id));
}

int NeighbourGraph::IndexOf(std::string_view id) const {
  const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) {
    throw SecAggError(kWhere, "client id '" + std::string(id) + "' is not in this round's graph");
  }
  return static_cast<int>(it - ids_.begin());
}

bool NeighbourGraph::Contains(std::string_view id) const {
  return std::binary_search(ids_.begin(), ids_.end(), id);
}

std::vector<std::string> NeighbourGraph::Neighbours(std::string_view id) const {
  const int index = IndexOf(id);
  std::vector<std::string> out;
  out.reserve(degree_);
  if (complete_) {
    for (int i = 0; i < size(); ++i) {
      if (i != index) out.push_back(ids_[i]);
    }
  } else {
    // Indices are sorted and ids_ is sorted, so the ids come out sorted.
    for (int i : adjacency_[index]) out.push_back(ids_[i]);
  }
  return out;
}

bool NeighbourGraph::AreNeighbours(std::string_view a, std::string_view b) const {
  const int ia = IndexOf(a);
  const int ib = IndexOf(b);
  if (ia == ib) return false;
  if (complete_) return true;
  return std::binary_search(adjacency_[ia].begin(), adjacency_[ia].end(), ib);
}

}  // namespace fedcrm::secagg
