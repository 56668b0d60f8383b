// The client side of one secure-aggregation stage over the network: the
// SecAggClient state machine driven through the aggregator's four phases.
//
//   POST keys -> GET keys -> POST shares -> GET shares -> (input)
//   -> POST masked -> GET survivors -> POST unmask
//
// Only protocol messages leave: public keys, sealed shares, the masked
// vector and the unmasking shares. The plain input never does.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/fl/round_config.h"
#include "core/secagg/round_parameters.h"
#include "worker/aggregator_client.h"

namespace fedcrm::worker {

// The SecAgg parameters of one stage of `config`, as the aggregator builds
// them: round id "<round>/<stage>", the config's roster, threshold and graph.
secagg::RoundParameters StageParameters(const fl::RoundConfig& config, const std::string& stage,
                                        int modulus_bits, uint64_t vector_length);

// Produces the stage's input vector (values in Z_{2^b}, length d).
using InputFunction = std::function<std::vector<uint64_t>()>;
// Called with "<stage>/<step>" (step: keys, shares, masked, unmask) right
// before each message is sent; it may throw to abandon the stage.
using BeforeSendHook = std::function<void(const std::string&)>;

// Runs the stage end to end. `make_input` is called once, after the key
// phases, so that slow work (local training) counts against the generous
// masked-input deadline and not against the short key-exchange ones. Throws
// AggregatorError when the aggregator refuses a message, SecAggError when
// what it relays is inconsistent.
void RunSecureSum(const AggregatorClient& client, const secagg::Round& round,
                  const std::string& stage, const std::string& self,
                  const InputFunction& make_input, const BeforeSendHook& before_send = {});

}  // namespace fedcrm::worker
