// The client side of SecAgg+ as a state machine with no I/O: each method
// takes what the server relayed and returns the next message to send.
//
//   advertise()                     phase 1: two X25519 public keys
//   OnKeyDirectory(directory)  ->   phase 2: Shamir shares of the mask key and
//                                   the self-mask seed, sealed to each neighbour
//   OnShareInbox(inbox, input) ->   phase 3: input + self mask ± pairwise masks
//   OnSurvivors(survivors)     ->   phase 4: self-mask shares of survivors,
//                                   mask-key shares of the dropped
//
// A method called again with the same input returns the same message, so a
// worker may resend after a timeout; other repeats throw SecAggError.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "core/secagg/key_agreement.h"
#include "core/secagg/prg.h"
#include "core/secagg/protocol_messages.h"
#include "core/secagg/round_parameters.h"
#include "core/secagg/shamir.h"

namespace fedcrm::secagg {

class SecAggClient {
 public:
  enum class Phase { kAdvertised, kSharedKeys, kSentMaskedInput, kUnmasked };

  // Generates the client's key pairs and self-mask seed from OS entropy.
  // Throws ConfigError if `self` is not on the round's roster.
  SecAggClient(const Round& round, std::string self);

  const std::string& self() const { return self_; }
  Phase phase() const { return phase_; }
  const AdvertiseKeys& advertise() const { return advertise_; }

  ShareKeys OnKeyDirectory(const KeyDirectory& directory);
  MaskedInput OnShareInbox(const ShareInbox& inbox, std::span<const uint64_t> input);
  UnmaskShares OnSurvivors(const SurvivorList& survivors);

 private:
  struct PeerShares {
    Share mask_key;
    Share self_mask;
  };

  void CheckDirectory(const KeyDirectory& directory) const;
  PeerShares OpenShares(const SealedShares& sealed) const;
  void RequireThreshold(size_t available, const std::string& what) const;

  const Round& round_;
  std::string self_;
  Phase phase_ = Phase::kAdvertised;
  KeyPair cipher_keys_;
  KeyPair mask_keys_;
  Seed self_mask_seed_;
  AdvertiseKeys advertise_;

  // Phase 2 state.
  KeyDirectory directory_;
  std::map<std::string, AdvertiseKeys> peers_;  // neighbours that advertised
  std::optional<ShareKeys> share_keys_;
  Share own_mask_key_share_;
  Share own_self_mask_share_;

  // Phase 3 state.
  ShareInbox inbox_;
  std::map<std::string, PeerShares> received_;  // neighbours that shared keys
  std::optional<MaskedInput> masked_input_;

  // Phase 4 state.
  SurvivorList survivors_;
  std::optional<UnmaskShares> unmask_;
};

}  // namespace fedcrm::secagg
