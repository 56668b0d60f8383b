// Hashed bag of words for free-text columns.
//
// Each silo must map the same word to the same column without sharing a
// vocabulary, so tokens are hashed with a fixed, platform-independent hash
// (FNV-1a, 64 bit) rather than std::hash.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace fedcrm::data {

std::uint64_t Fnv1a64(std::string_view bytes);

// Tokens are maximal runs of ASCII letters and digits and of non-ASCII bytes
// (so UTF-8 words stay whole), lowercased in ASCII. Returns (bucket, count)
// pairs sorted by bucket, where bucket = Fnv1a64(token) % buckets.
// Requires buckets >= 1.
std::vector<std::pair<std::int32_t, std::int32_t>> HashedTokenCounts(std::string_view text,
                                                                     int buckets);

}  // namespace fedcrm::data
