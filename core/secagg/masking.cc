#include "core/secagg/masking.h"

#include "core/secagg/hkdf.h"

namespace fedcrm::secagg {

Seed PairwiseMaskSeed(const KeyPair& mine, const PublicKey& theirs, const Round& round,
                      const std::string& a, const std::string& b) {
  const SharedSecret shared = Agree(mine, theirs);
  const std::string& lower = a < b ? a : b;
  const std::string& higher = a < b ? b : a;
  // Ids are length-prefixed so that ("ab", "c") and ("a", "bc") differ.
  std::string info = "fedcrm mask v1";
  for (int shift = 56; shift >= 0; shift -= 8) {
    info.push_back(static_cast<char>((round.tag() >> shift) & 0xff));
  }
  for (const std::string* id : {&lower, &higher}) {
    info.push_back(static_cast<char>(id->size()));
    info += *id;
  }
  return HkdfSecret<32>(shared.bytes(), info);
}

SignedSeed PairwiseMaskTerm(const Seed& seed, const std::string& self, const std::string& peer) {
  return {seed, !(self < peer)};
}

}  // namespace fedcrm::secagg
