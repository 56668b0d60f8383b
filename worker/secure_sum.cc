#include "worker/secure_sum.h"

#include "core/secagg/protocol_messages.h"
#include "core/secagg/secagg_client.h"
#include "core/secagg/secagg_error.h"
#include "runtime/log.h"

namespace fedcrm::worker {
namespace {

std::span<const uint8_t> AsBytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

secagg::RoundParameters StageParameters(const fl::RoundConfig& config, const std::string& stage,
                                        int modulus_bits, uint64_t vector_length) {
  secagg::RoundParameters params;
  params.round_id = config.round_id + "/" + stage;
  params.roster = config.Roster();
  params.threshold = config.threshold;
  params.graph = config.graph;
  params.modulus_bits = modulus_bits;
  params.vector_length = vector_length;
  return params;
}

void RunSecureSum(const AggregatorClient& client, const secagg::Round& round,
                  const std::string& stage, const std::string& self,
                  const InputFunction& make_input, const BeforeSendHook& before_send) {
  secagg::DecodeLimits limits;
  limits.max_clients = round.roster().size();
  limits.max_vector_length = round.vector_length();
  limits.modulus_bits = round.modulus_bits();

  auto send = [&](const std::string& step, const secagg::Bytes& message) {
    if (before_send) before_send(stage + "/" + step);
    client.Post(stage, step, message);
    runtime::Log().Info("sent", {{"stage", stage}, {"step", step}, {"bytes", message.size()}});
  };

  secagg::SecAggClient secagg(round, self);
  send("keys", secagg::Encode(secagg.advertise()));

  const std::string directory = client.Poll(stage, "keys");
  send("shares", secagg::Encode(secagg.OnKeyDirectory(
                     secagg::DecodeKeyDirectory(AsBytes(directory), limits))));

  const std::string inbox = client.Poll(stage, "shares");
  const secagg::ShareInbox shares = secagg::DecodeShareInbox(AsBytes(inbox), limits);
  const std::vector<uint64_t> input = make_input();
  if (input.size() != round.vector_length()) {
    throw secagg::SecAggError("stage " + stage + " input",
                              "has " + std::to_string(input.size()) +
                                  " values, the round expects " +
                                  std::to_string(round.vector_length()));
  }
  send("masked", secagg::Encode(secagg.OnShareInbox(shares, input), round.modulus_bits()));

  const std::string survivors = client.Poll(stage, "survivors");
  send("unmask",
       secagg::Encode(secagg.OnSurvivors(secagg::DecodeSurvivorList(AsBytes(survivors), limits))));
}

}  // namespace fedcrm::worker
