#include "core/secagg/secagg_client.h"

#include <algorithm>

#include "core/secagg/authenticated_encryption.h"
#include "core/secagg/byte_codec.h"
#include "core/secagg/masking.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

// What a client seals to one neighbour: both endpoints (checked on opening,
// on top of the AEAD's associated data) and one share of each secret.
std::string EncodeBundle(const std::string& sender, const std::string& receiver,
                         const Share& mask_key, const Share& self_mask) {
  ByteWriter w;
  w.WriteString(sender);
  w.WriteString(receiver);
  const std::string a = Serialize(mask_key), b = Serialize(self_mask);
  w.WriteString(a);
  w.WriteString(b);
  const auto& bytes = w.bytes();
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

SecAggClient::SecAggClient(const Round& round, std::string self)
    : round_(round),
      self_(std::move(self)),
      cipher_keys_(KeyPair::Generate()),
      mask_keys_(KeyPair::Generate()),
      self_mask_seed_(Seed::Random()) {
  round_.IndexOf(self_);  // throws if not on the roster
  advertise_ = {cipher_keys_.public_key(), mask_keys_.public_key()};
}

void SecAggClient::RequireThreshold(size_t available, const std::string& what) const {
  if (available < static_cast<size_t>(round_.threshold())) {
    throw SecAggError("round " + round_.id(), std::to_string(available) + " " + what +
                                                  ", fewer than the threshold " +
                                                  std::to_string(round_.threshold()));
  }
}

void SecAggClient::CheckDirectory(const KeyDirectory& directory) const {
  std::set<std::string> ids;
  std::set<PublicKey> keys;
  bool found_self = false;
  for (const auto& entry : directory.clients) {
    if (!round_.Invited(entry.client)) {
      throw SecAggError("key directory", "'" + entry.client + "' is not on the roster");
    }
    if (!ids.insert(entry.client).second) {
      throw SecAggError("key directory", "'" + entry.client + "' is listed twice");
    }
    // Distinct keys everywhere: a repeated key would let one party pose as two.
    if (!keys.insert(entry.keys.cipher_key).second || !keys.insert(entry.keys.mask_key).second) {
      throw SecAggError("key directory", "'" + entry.client + "' repeats a public key");
    }
    if (entry.client == self_) {
      if (!(entry.keys == advertise_)) {
        throw SecAggError("key directory", "this client's own keys were altered");
      }
      found_self = true;
    }
  }
  if (!found_self) throw SecAggError("key directory", "this client is missing from it");
}

ShareKeys SecAggClient::OnKeyDirectory(const KeyDirectory& directory) {
  if (share_keys_) {
    if (directory == directory_) return *share_keys_;  // a retry
    throw SecAggError("round " + round_.id(), "key directory received twice with different keys");
  }
  CheckDirectory(directory);
  for (const auto& entry : directory.clients) {
    if (round_.graph().AreNeighbours(self_, entry.client)) peers_[entry.client] = entry.keys;
  }
  RequireThreshold(peers_.size() + 1, "neighbours (with this client) advertised keys");

  // One share per neighbour plus one kept for itself, at x = 1..n in id order.
  std::vector<std::string> group;
  for (const auto& [peer, keys] : peers_) group.push_back(peer);
  group.push_back(self_);
  std::sort(group.begin(), group.end());
  const int n = static_cast<int>(group.size());
  const std::vector<Share> mask_key_shares = Split(mask_keys_.private_key(), round_.threshold(), n);
  const std::vector<Share> self_mask_shares = Split(self_mask_seed_, round_.threshold(), n);

  ShareKeys out;
  for (int i = 0; i < n; ++i) {
    const std::string& peer = group[static_cast<size_t>(i)];
    if (peer == self_) {
      own_mask_key_share_ = mask_key_shares[static_cast<size_t>(i)];
      own_self_mask_share_ = self_mask_shares[static_cast<size_t>(i)];
      continue;
    }
    const ShareKey key = DeriveShareKey(Agree(cipher_keys_, peers_.at(peer).cipher_key));
    const ShareAad aad{round_.tag(), round_.IndexOf(self_), round_.IndexOf(peer)};
    out.shares.push_back(
        {peer, Seal(key,
                    EncodeBundle(self_, peer, mask_key_shares[static_cast<size_t>(i)],
                                 self_mask_shares[static_cast<size_t>(i)]),
                    aad)});
  }
  directory_ = directory;
  share_keys_ = out;
  phase_ = Phase::kSharedKeys;
  return out;
}

SecAggClient::PeerShares SecAggClient::OpenShares(const SealedShares& sealed) const {
  const auto peer = peers_.find(sealed.peer);
  if (peer == peers_.end()) {
    throw SecAggError("share inbox", "shares from '" + sealed.peer + "', not a neighbour");
  }
  const ShareKey key = DeriveShareKey(Agree(cipher_keys_, peer->second.cipher_key));
  const ShareAad aad{round_.tag(), round_.IndexOf(sealed.peer), round_.IndexOf(self_)};
  const std::string plain = Open(key, sealed.ciphertext, aad);  // throws if tampered
  ByteReader r({reinterpret_cast<const uint8_t*>(plain.data()), plain.size()},
               "shares from " + sealed.peer);
  const std::string sender = r.ReadString("sender", 253);
  const std::string receiver = r.ReadString("receiver", 253);
  if (sender != sealed.peer || receiver != self_) {
    throw SecAggError("share inbox", "shares from '" + sealed.peer + "' name other endpoints");
  }
  PeerShares shares{Parse(r.ReadString("mask_key_share", 64)),
                    Parse(r.ReadString("self_mask_share", 64))};
  r.ExpectEnd();
  return shares;
}

MaskedInput SecAggClient::OnShareInbox(const ShareInbox& inbox, std::span<const uint64_t> input) {
  if (masked_input_) {
    if (inbox == inbox_) return *masked_input_;  // a retry
    throw SecAggError("round " + round_.id(), "share inbox received twice with different shares");
  }
  if (phase_ != Phase::kSharedKeys) {
    throw SecAggError("round " + round_.id(), "share inbox before the key directory");
  }
  if (input.size() != round_.vector_length()) {
    throw SecAggError("masked input", "expected " + std::to_string(round_.vector_length()) +
                                          " values, got " + std::to_string(input.size()));
  }
  const uint64_t limit_mask =
      round_.modulus_bits() == 64 ? ~uint64_t{0} : (uint64_t{1} << round_.modulus_bits()) - 1;
  std::map<std::string, PeerShares> received;
  for (const auto& sealed : inbox.shares) {
    if (received.count(sealed.peer)) {
      throw SecAggError("share inbox", "two sets of shares from '" + sealed.peer + "'");
    }
    received.emplace(sealed.peer, OpenShares(sealed));
  }
  RequireThreshold(received.size() + 1, "neighbours (with this client) shared keys");

  // y = x + PRG(b) + Σ± PRG(s_uv) over the neighbours that shared keys: the
  // server relays exactly those, so it can later cancel the masks of any of
  // them that drop out.
  MaskedInput out;
  out.values.assign(input.begin(), input.end());
  for (uint64_t v : out.values) {
    if ((v & ~limit_mask) != 0) {
      throw SecAggError("masked input",
                        "an input value is not below 2^" + std::to_string(round_.modulus_bits()));
    }
  }
  std::vector<SignedSeed> masks;
  masks.push_back({self_mask_seed_, false});
  for (const auto& [peer, shares] : received) {
    const Seed seed = PairwiseMaskSeed(mask_keys_, peers_.at(peer).mask_key, round_, self_, peer);
    masks.push_back(PairwiseMaskTerm(seed, self_, peer));
  }
  ApplyMasks(out.values, masks, round_.modulus_bits());
  inbox_ = inbox;
  received_ = std::move(received);
  masked_input_ = out;
  phase_ = Phase::kSentMaskedInput;
  return out;
}

UnmaskShares SecAggClient::OnSurvivors(const SurvivorList& survivors) {
  if (unmask_) {
    if (survivors == survivors_) return *unmask_;  // a retry
    throw SecAggError("round " + round_.id(), "survivor list received twice, different");
  }
  if (phase_ != Phase::kSentMaskedInput) {
    throw SecAggError("round " + round_.id(), "survivor list before the masked input");
  }
  const std::set<std::string> alive(survivors.survivors.begin(), survivors.survivors.end());
  if (!alive.count(self_)) {
    throw SecAggError("survivor list", "this client is missing although it sent its input");
  }
  size_t surviving_group = 1;  // itself
  for (const auto& [peer, shares] : received_) surviving_group += alive.count(peer);
  RequireThreshold(surviving_group, "neighbours (with this client) survived");

  // For each neighbour reveal exactly one secret: the self-mask seed of a
  // survivor (its input is in the sum) or the mask key of a dropped one (its
  // pairwise masks must be cancelled) — never both, or its input would leak.
  UnmaskShares out;
  out.self_mask_shares.push_back({self_, Serialize(own_self_mask_share_)});
  for (const auto& [peer, shares] : received_) {
    if (alive.count(peer)) {
      out.self_mask_shares.push_back({peer, Serialize(shares.self_mask)});
    } else {
      out.mask_key_shares.push_back({peer, Serialize(shares.mask_key)});
    }
  }
  survivors_ = survivors;
  unmask_ = out;
  phase_ = Phase::kUnmasked;
  return out;
}

}  // namespace fedcrm::secagg
