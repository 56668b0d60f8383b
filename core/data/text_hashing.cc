#include "core/data/text_hashing.h"

#include <algorithm>
#include <string>

namespace fedcrm::data {
namespace {

constexpr std::uint64_t kFnvOffsetBasis = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

bool IsTokenByte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}  // namespace

std::uint64_t Fnv1a64(std::string_view bytes) {
  std::uint64_t hash = kFnvOffsetBasis;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

std::vector<std::pair<std::int32_t, std::int32_t>> HashedTokenCounts(std::string_view text,
                                                                     int buckets) {
  std::vector<std::int32_t> hits;
  std::string token;
  auto flush = [&] {
    if (token.empty()) return;
    hits.push_back(static_cast<std::int32_t>(Fnv1a64(token) % static_cast<std::uint64_t>(buckets)));
    token.clear();
  };
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (!IsTokenByte(byte)) {
      flush();
      continue;
    }
    token += (byte >= 'A' && byte <= 'Z') ? static_cast<char>(byte - 'A' + 'a') : c;
  }
  flush();

  std::sort(hits.begin(), hits.end());
  std::vector<std::pair<std::int32_t, std::int32_t>> counts;
  for (std::int32_t bucket : hits) {
    if (!counts.empty() && counts.back().first == bucket) {
      ++counts.back().second;
    } else {
      counts.emplace_back(bucket, 1);
    }
  }
  return counts;
}

}  // namespace fedcrm::data
