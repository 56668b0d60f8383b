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
// for one ordered before it, so each pair's masks cancel in the sum.
void ApplyPairwiseMask(std::span<uint64_t> values, const Seed& seed, const std::string& self,
                       const std::string& peer, int modulus_bits);

// The mask ApplyPairwiseMask would apply, as a term for ApplyMasks.
SignedSeed PairwiseMaskTerm(const Seed& seed, const std::string& self, const std::string& peer);

// Undoes ApplyPairwiseMask of `self` (used by the server for a dropped peer).
void RemovePairwiseMask(std::span<uint64_t> values, const Seed& seed, const std::string& self,
                        const std::string& peer, int modulus_bits);

}  // namespace fedcrm::secagg
