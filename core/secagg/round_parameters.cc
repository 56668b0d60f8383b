#include "core/secagg/round_parameters.h"

#include <openssl/sha.h>

#include <algorithm>

#include "core/common/error.h"

namespace fedcrm::secagg {
namespace {

constexpr uint64_t kMaxVectorLength = uint64_t{1} << 28;  // 2 GiB of 64-bit values

RoundParameters Validated(RoundParameters params) {
  if (params.round_id.empty() || params.round_id.size() > 253) {
    throw ConfigError("secureAggregation.roundId", "expected 1 to 253 characters");
  }
  if (params.modulus_bits != 32 && params.modulus_bits != 64) {
    throw ConfigError("secureAggregation.modulusBits",
                      "expected 32 or 64, got " + std::to_string(params.modulus_bits));
  }
  if (params.vector_length == 0 || params.vector_length > kMaxVectorLength) {
    throw ConfigError("secureAggregation.vectorLength",
                      "expected 1 to " + std::to_string(kMaxVectorLength) + ", got " +
                          std::to_string(params.vector_length));
  }
  std::sort(params.roster.begin(), params.roster.end());
  return params;
}

}  // namespace

Round::Round(RoundParameters params)
    : params_(Validated(std::move(params))),
      graph_(NeighbourGraph::Build(params_.roster, params_.round_id, params_.graph)) {
  const int group = graph_.Degree() + 1;  // a client shares with its neighbours and itself
  threshold_ = params_.threshold == 0 ? graph_.DefaultThreshold() : params_.threshold;
  if (threshold_ < 1 || threshold_ > group) {
    throw ConfigError("secureAggregation.threshold",
                      "expected 1 to " + std::to_string(group) +
                          " (a client's neighbours plus itself), got " +
                          std::to_string(threshold_));
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(params_.round_id.data()), params_.round_id.size(),
         digest);
  for (int i = 0; i < 8; ++i) tag_ = (tag_ << 8) | digest[i];
}

uint32_t Round::IndexOf(const std::string& client) const {
  const auto& roster = params_.roster;
  const auto it = std::lower_bound(roster.begin(), roster.end(), client);
  if (it == roster.end() || *it != client) {
    throw ConfigError("round " + params_.round_id, "'" + client + "' is not on the roster");
  }
  return static_cast<uint32_t>(it - roster.begin() + 1);
}

}  // namespace fedcrm::secagg
