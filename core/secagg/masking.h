// The masks of SecAgg+: pairwise masks that cancel in the sum, and the
// self-mask that hides an input until its owner is known to have survived.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/secagg/key_agreement.h"
#include "core/secagg/prg.h"
#include "core/secagg/round_parameters.h"

namespace fedcrm::secagg {

// The seed two clients share for their pairwise mask:
// HKDF(X25519(mine, theirs), "fedcrm mask v1" || round tag || lower id || higher id).
// Symmetric: both ends (and the server, from a recovered mask key) derive it.
Seed PairwiseMaskSeed(const KeyPair& mine, const PublicKey& theirs, const Round& round,
                      const std::string& a, const std::string& b);

// Client `self` adds +PRG(seed) for a peer ordered after it and -PRG(seed)
// for one ordered before it, so each pair's masks cancel in the sum. This is
// that mask as a term for ApplyMasks; the server removes it by negating
// `subtract`.
SignedSeed PairwiseMaskTerm(const Seed& seed, const std::string& self, const std::string& peer);

}  // namespace fedcrm::secagg
