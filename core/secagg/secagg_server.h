// The server side of SecAgg+ as a state machine with no I/O. It relays keys
// and sealed shares, collects masked inputs, and at the end recovers only the
// sum of the surviving clients' inputs.
//
// Each phase ends when ClosePhase() is called — by the service when every
// expected client has answered, or by Tick() when the phase's deadline
// passes. A phase that ends with fewer than the threshold of clients fails
// the round with a reason.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/secagg/prg.h"
#include "core/secagg/protocol_messages.h"
#include "core/secagg/round_parameters.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {

enum class ServerPhase { kAdvertiseKeys, kShareKeys, kMaskedInput, kUnmask, kDone, kFailed };
const char* PhaseName(ServerPhase phase);

// A message the server refuses. kConflict: out of phase, or a repeat that
// differs from what was accepted (HTTP 409); kInvalid: malformed or
// inconsistent content (400); kForbidden: a client not on the roster (403).
class ProtocolError : public SecAggError {
 public:
  enum class Kind { kInvalid, kConflict, kForbidden };
  ProtocolError(Kind kind, const std::string& where, const std::string& problem)
      : SecAggError(where, problem), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct PhaseDeadlines {
  std::chrono::milliseconds advertise_keys{60'000};
  std::chrono::milliseconds share_keys{60'000};
  std::chrono::milliseconds masked_input{600'000};
  std::chrono::milliseconds unmask{60'000};
};

class SecAggServer {
 public:
  using Clock = std::chrono::steady_clock;

  SecAggServer(Round round, PhaseDeadlines deadlines, Clock::time_point now);

  const Round& round() const { return round_; }
  ServerPhase phase() const { return phase_; }
  const std::string& failure() const { return failure_; }

  // Each accepts one client's message for the current phase. Resending the
  // same message is accepted again (idempotent); anything else out of place
  // throws ProtocolError.
  void OnAdvertiseKeys(const std::string& client, const AdvertiseKeys& message);
  void OnShareKeys(const std::string& client, const ShareKeys& message);
  void OnMaskedInput(const std::string& client, const MaskedInput& message);
  void OnUnmask(const std::string& client, const UnmaskShares& message);

  // True when every client still expected in this phase has answered.
  bool AllAnswered() const;
  // Ends the current phase; see the class comment.
  void ClosePhase(Clock::time_point now);
  // Closes the phase if its deadline has passed; returns whether it did.
  bool Tick(Clock::time_point now);
  Clock::time_point deadline() const { return deadline_; }

  // What a client downloads after a phase ends (ProtocolError if too early
  // or if the client is not part of that phase).
  KeyDirectory KeysFor(const std::string& client) const;
  ShareInbox SharesFor(const std::string& client) const;
  SurvivorList Survivors() const;

  // The sum over Z_{2^b} of the surviving clients' inputs (phase kDone).
  const std::vector<uint64_t>& result() const;
  // Clients whose inputs are in the sum, and those that dropped at any phase.
  std::vector<std::string> Contributors() const;
  std::vector<std::string> Dropped() const;

  // For tests: every vector the server holds before unmasking (all masked).
  const std::map<std::string, MaskedInput>& held_masked_inputs() const { return masked_; }

 private:
  void RequirePhase(ServerPhase expected, const std::string& client) const;
  void RequireInvited(const std::string& client) const;
  void Fail(const std::string& reason);
  void Unmask();
  // The secret `owner` shared: its self-mask seed or its mask private key,
  // from the survivors' revealed shares. Throws SecAggError below threshold.
  Secret32 Reconstruct(const std::string& owner, bool self_mask) const;
  // Σ of the survivors' masked inputs mod 2^bits (lengths were checked on
  // arrival).
  std::vector<uint64_t> SumMaskedInputs() const;
  // Every mask still in the sum of the survivors' inputs, signed to remove it.
  std::vector<SignedSeed> MasksToRemove() const;
  std::chrono::milliseconds PhaseDuration(ServerPhase phase) const;

  Round round_;
  PhaseDeadlines deadlines_;
  ServerPhase phase_ = ServerPhase::kAdvertiseKeys;
  Clock::time_point deadline_;
  std::string failure_;

  std::map<std::string, AdvertiseKeys> advertised_;  // U1
  std::map<std::string, ShareKeys> shared_;          // U2
  std::map<std::string, MaskedInput> masked_;        // U3
  std::map<std::string, UnmaskShares> unmasked_;     // U4
  std::vector<uint64_t> result_;
};

}  // namespace fedcrm::secagg
