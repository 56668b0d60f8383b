// The error type of secure aggregation: a protocol-level failure that a peer
// or a caller can cause (a tampered ciphertext, a malformed share, a low-order
// public key, invalid protocol parameters).
//
// Messages name what failed and what was expected; they never contain key
// material, shares or plaintexts.
#pragma once

#include <string>

#include "core/common/error.h"

namespace fedcrm::secagg {

class SecAggError : public fedcrm::Error {
 public:
  // `where` names the operation or input, e.g. "shamir share 3" or
  // "share ciphertext from silo 7"; `problem` says what was wrong.
  SecAggError(const std::string& where, const std::string& problem)
      : Error(where + ": " + problem), where_(where), problem_(problem) {}

  const std::string& where() const { return where_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string where_;
  std::string problem_;
};

}  // namespace fedcrm::secagg
