#include "core/secagg/secagg_server.h"

#include <algorithm>

#include "core/secagg/key_agreement.h"
#include "core/secagg/masking.h"
#include "core/secagg/prg.h"
#include "core/secagg/shamir.h"

namespace fedcrm::secagg {
namespace {

using Kind = ProtocolError::Kind;

template <typename Map>
std::vector<std::string> Keys(const Map& map) {
  std::vector<std::string> out;
  for (const auto& entry : map) out.push_back(entry.first);
  return out;
}

}  // namespace

const char* PhaseName(ServerPhase phase) {
  switch (phase) {
    case ServerPhase::kAdvertiseKeys:
      return "advertise-keys";
    case ServerPhase::kShareKeys:
      return "share-keys";
    case ServerPhase::kMaskedInput:
      return "masked-input";
    case ServerPhase::kUnmask:
      return "unmask";
    case ServerPhase::kDone:
      return "done";
    case ServerPhase::kFailed:
      return "failed";
  }
  return "unknown";
}

SecAggServer::SecAggServer(Round round, PhaseDeadlines deadlines, Clock::time_point now)
    : round_(std::move(round)), deadlines_(deadlines) {
  deadline_ = now + PhaseDuration(phase_);
}

std::chrono::milliseconds SecAggServer::PhaseDuration(ServerPhase phase) const {
  switch (phase) {
    case ServerPhase::kAdvertiseKeys:
      return deadlines_.advertise_keys;
    case ServerPhase::kShareKeys:
      return deadlines_.share_keys;
    case ServerPhase::kMaskedInput:
      return deadlines_.masked_input;
    case ServerPhase::kUnmask:
      return deadlines_.unmask;
    default:
      return std::chrono::milliseconds::max();
  }
}

void SecAggServer::RequireInvited(const std::string& client) const {
  if (!round_.Invited(client)) {
    throw ProtocolError(Kind::kForbidden, "round " + round_.id(),
                        "'" + client + "' is not on the roster");
  }
}

void SecAggServer::RequirePhase(ServerPhase expected, const std::string& client) const {
  RequireInvited(client);
  if (phase_ != expected) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        std::string("a ") + PhaseName(expected) + " message from '" + client +
                            "' while the round is in phase " + PhaseName(phase_) +
                            (phase_ == ServerPhase::kFailed ? " (" + failure_ + ")" : ""));
  }
}

// Accepts `message` into `store`, idempotently: a resend of the same message
// is fine, a different one is a conflict.
template <typename Message>
static void Accept(std::map<std::string, Message>& store, const std::string& client,
                   const Message& message, const std::string& round_id, const char* what) {
  auto [it, inserted] = store.emplace(client, message);
  if (!inserted && !(it->second == message)) {
    throw ProtocolError(
        ProtocolError::Kind::kConflict, "round " + round_id,
        std::string("'") + client + "' already sent a different " + what + " message");
  }
}

void SecAggServer::OnAdvertiseKeys(const std::string& client, const AdvertiseKeys& message) {
  RequirePhase(ServerPhase::kAdvertiseKeys, client);
  Accept(advertised_, client, message, round_.id(), "advertise-keys");
}

void SecAggServer::OnShareKeys(const std::string& client, const ShareKeys& message) {
  RequirePhase(ServerPhase::kShareKeys, client);
  if (!advertised_.count(client)) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        "'" + client + "' did not advertise keys in time");
  }
  // Exactly one sealed pair per neighbour that advertised: the relay must be
  // complete, or the server could not later cancel the client's masks.
  std::set<std::string> expected, seen;
  for (const auto& [peer, keys] : advertised_) {
    if (peer != client && round_.graph().AreNeighbours(client, peer)) expected.insert(peer);
  }
  for (const auto& sealed : message.shares) {
    if (!expected.count(sealed.peer) || !seen.insert(sealed.peer).second) {
      throw ProtocolError(Kind::kInvalid, "share-keys message from '" + client + "'",
                          "unexpected or repeated recipient '" + sealed.peer + "'");
    }
  }
  if (seen != expected) {
    throw ProtocolError(Kind::kInvalid, "share-keys message from '" + client + "'",
                        "expected shares for " + std::to_string(expected.size()) +
                            " neighbours, got " + std::to_string(seen.size()));
  }
  Accept(shared_, client, message, round_.id(), "share-keys");
}

void SecAggServer::OnMaskedInput(const std::string& client, const MaskedInput& message) {
  RequirePhase(ServerPhase::kMaskedInput, client);
  if (!shared_.count(client)) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        "'" + client + "' did not share keys in time");
  }
  if (message.values.size() != round_.vector_length()) {
    throw ProtocolError(Kind::kInvalid, "masked input from '" + client + "'",
                        "expected " + std::to_string(round_.vector_length()) + " values, got " +
                            std::to_string(message.values.size()));
  }
  if (round_.modulus_bits() < 64) {
    const uint64_t bound = uint64_t{1} << round_.modulus_bits();
    for (uint64_t v : message.values) {
      if (v >= bound) {
        throw ProtocolError(Kind::kInvalid, "masked input from '" + client + "'",
                            "a value is not below 2^" + std::to_string(round_.modulus_bits()));
      }
    }
  }
  Accept(masked_, client, message, round_.id(), "masked-input");
}

void SecAggServer::OnUnmask(const std::string& client, const UnmaskShares& message) {
  RequirePhase(ServerPhase::kUnmask, client);
  const std::string where = "unmask message from '" + client + "'";
  if (!masked_.count(client)) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        "'" + client + "' sent no masked input, so it takes no part in unmasking");
  }
  auto check = [&](const RevealedShare& share, bool survivor) {
    const bool related = share.owner == client || round_.graph().AreNeighbours(client, share.owner);
    const bool owner_survived = masked_.count(share.owner) > 0;
    if (!related || !shared_.count(share.owner) || owner_survived != survivor) {
      throw ProtocolError(Kind::kInvalid, where,
                          std::string("unexpected ") + (survivor ? "self-mask" : "mask-key") +
                              " share of '" + share.owner + "'");
    }
    if (share.share.size() != kSerializedShareBytes) {
      throw ProtocolError(Kind::kInvalid, where, "malformed share of '" + share.owner + "'");
    }
  };
  for (const auto& share : message.self_mask_shares) check(share, true);
  for (const auto& share : message.mask_key_shares) check(share, false);
  Accept(unmasked_, client, message, round_.id(), "unmask");
}

bool SecAggServer::AllAnswered() const {
  switch (phase_) {
    case ServerPhase::kAdvertiseKeys:
      return advertised_.size() == round_.roster().size();
    case ServerPhase::kShareKeys:
      return shared_.size() == advertised_.size();
    case ServerPhase::kMaskedInput:
      return masked_.size() == shared_.size();
    case ServerPhase::kUnmask:
      return unmasked_.size() == masked_.size();
    default:
      return true;
  }
}

void SecAggServer::Fail(const std::string& reason) {
  phase_ = ServerPhase::kFailed;
  failure_ = reason;
}

bool SecAggServer::Tick(Clock::time_point now) {
  if (phase_ == ServerPhase::kDone || phase_ == ServerPhase::kFailed || now < deadline_) {
    return false;
  }
  ClosePhase(now);
  return true;
}

void SecAggServer::ClosePhase(Clock::time_point now) {
  const auto enough = [&](size_t count, const char* what) {
    if (count >= static_cast<size_t>(round_.threshold())) return true;
    Fail(std::to_string(count) + " clients " + what + ", fewer than the threshold " +
         std::to_string(round_.threshold()));
    return false;
  };
  switch (phase_) {
    case ServerPhase::kAdvertiseKeys:
      if (!enough(advertised_.size(), "advertised keys")) return;
      phase_ = ServerPhase::kShareKeys;
      break;
    case ServerPhase::kShareKeys:
      if (!enough(shared_.size(), "shared keys")) return;
      phase_ = ServerPhase::kMaskedInput;
      break;
    case ServerPhase::kMaskedInput:
      if (!enough(masked_.size(), "sent masked inputs")) return;
      phase_ = ServerPhase::kUnmask;
      break;
    case ServerPhase::kUnmask:
      if (!enough(unmasked_.size(), "sent unmasking shares")) return;
      Unmask();
      return;
    default:
      return;
  }
  deadline_ = now + PhaseDuration(phase_);
}

// Reconstructs one secret of `owner` from the unmasking shares and removes
// its masks from `sum` in place, streaming (no full-length mask vector): the
// self-mask of a survivor, or the pairwise masks a dropped client shared with
// the survivors (as they applied them). Throws SecAggError below threshold.
Secret32 SecAggServer::Reconstruct(const std::string& owner, bool self_mask) const {
  std::vector<Share> shares;
  for (const auto& [client, message] : unmasked_) {
    const auto& list = self_mask ? message.self_mask_shares : message.mask_key_shares;
    for (const auto& revealed : list) {
      if (revealed.owner == owner) shares.push_back(Parse(revealed.share));
    }
  }
  if (shares.size() < static_cast<size_t>(round_.threshold())) {
    throw SecAggError("round " + round_.id(),
                      std::to_string(shares.size()) + " shares of " +
                          (self_mask ? "the self-mask of '" : "the mask key of '") + owner +
                          "' arrived, fewer than the threshold " +
                          std::to_string(round_.threshold()));
  }
  return Combine(shares, round_.threshold());
}

std::vector<SignedSeed> SecAggServer::MasksToRemove() const {
  std::vector<SignedSeed> masks;
  // Every survivor's self-mask...
  for (const auto& [client, input] : masked_) {
    masks.push_back({Reconstruct(client, true), true});
  }
  // ...and the pairwise masks the survivors applied for neighbours that
  // shared keys and then dropped out (their mask keys are reconstructed).
  for (const auto& [dropped, shares] : shared_) {
    if (masked_.count(dropped)) continue;
    const KeyPair dropped_keys = KeyPair::FromPrivateKey(Reconstruct(dropped, false));
    for (const auto& [survivor, input] : masked_) {
      if (!round_.graph().AreNeighbours(dropped, survivor)) continue;
      const Seed seed = PairwiseMaskSeed(dropped_keys, advertised_.at(survivor).mask_key, round_,
                                         dropped, survivor);
      SignedSeed applied = PairwiseMaskTerm(seed, survivor, dropped);
      applied.subtract = !applied.subtract;
      masks.push_back(std::move(applied));
    }
  }
  return masks;
}

std::vector<uint64_t> SecAggServer::SumMaskedInputs() const {
  // Block by block, so each block of the sum stays in cache while every
  // input adds to it: one pass over the sum instead of one per client.
  constexpr size_t kBlock = 4096;
  const int bits = round_.modulus_bits();
  const uint64_t modulus_mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  std::vector<uint64_t> sum(round_.vector_length(), 0);
  for (size_t begin = 0; begin < sum.size(); begin += kBlock) {
    const size_t end = std::min(sum.size(), begin + kBlock);
    for (const auto& [client, input] : masked_) {
      const uint64_t* values = input.values.data();
      for (size_t i = begin; i < end; ++i) sum[i] += values[i];
    }
    // Wrapping mod 2^64 then reducing gives the sum mod 2^bits.
    for (size_t i = begin; i < end; ++i) sum[i] &= modulus_mask;
  }
  return sum;
}

void SecAggServer::Unmask() {
  const int bits = round_.modulus_bits();
  std::vector<uint64_t> sum;
  try {
    sum = SumMaskedInputs();
    // All masks in one streaming pass over the sum (ApplyMasks).
    ApplyMasks(sum, MasksToRemove(), bits);
  } catch (const SecAggError& e) {
    Fail(e.what());
    return;
  }
  result_ = std::move(sum);
  phase_ = ServerPhase::kDone;
}

KeyDirectory SecAggServer::KeysFor(const std::string& client) const {
  RequireInvited(client);
  if (phase_ == ServerPhase::kAdvertiseKeys || !advertised_.count(client)) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        "no key directory for '" + client + "' (phase " + PhaseName(phase_) + ")");
  }
  KeyDirectory out;
  for (const auto& [peer, keys] : advertised_) {
    if (peer == client || round_.graph().AreNeighbours(client, peer))
      out.clients.push_back({peer, keys});
  }
  return out;
}

ShareInbox SecAggServer::SharesFor(const std::string& client) const {
  RequireInvited(client);
  if (phase_ == ServerPhase::kAdvertiseKeys || phase_ == ServerPhase::kShareKeys ||
      !shared_.count(client)) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        "no share inbox for '" + client + "' (phase " + PhaseName(phase_) + ")");
  }
  ShareInbox out;
  for (const auto& [sender, message] : shared_) {
    for (const auto& sealed : message.shares) {
      if (sealed.peer == client) out.shares.push_back({sender, sealed.ciphertext});
    }
  }
  return out;
}

SurvivorList SecAggServer::Survivors() const {
  if (phase_ != ServerPhase::kUnmask && phase_ != ServerPhase::kDone) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        std::string("no survivor list in phase ") + PhaseName(phase_));
  }
  return {Keys(masked_)};
}

const std::vector<uint64_t>& SecAggServer::result() const {
  if (phase_ != ServerPhase::kDone) {
    throw ProtocolError(Kind::kConflict, "round " + round_.id(),
                        std::string("no result in phase ") + PhaseName(phase_));
  }
  return result_;
}

std::vector<std::string> SecAggServer::Contributors() const { return Keys(masked_); }

std::vector<std::string> SecAggServer::Dropped() const {
  std::vector<std::string> out;
  for (const auto& client : round_.roster()) {
    if (!masked_.count(client)) out.push_back(client);
  }
  return out;
}

}  // namespace fedcrm::secagg
