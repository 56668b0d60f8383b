// A FederatedRound custom resource, parsed (crds/fedcrm.io_federatedrounds.yaml),
// and the round configuration the operator PUTs to the aggregator for it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/fl/round_config.h"
#include "kube/resource_key.h"
#include "operator/fedcrm_resources.h"

namespace fedcrm::op {

struct RoundPrivacy {
  double noise_multiplier = 0;
  double clip_norm = 1.0;
  double sampling_rate = 0.01;
  double delta = 1e-5;
};

struct RoundDeadlines {
  int64_t phase_seconds = 120;
  int64_t masked_input_seconds = 900;
  int64_t round_seconds = 3600;  // the operator's, from admission
};

struct FederatedRound {
  std::string name;
  std::string namespace_;
  std::string uid;
  int64_t generation = 0;
  std::map<std::string, std::string> labels;

  Json spec;               // as stored: the source of the aggregator's config
  std::string model_line;  // spec.modelLine, defaulting to the round's name
  std::string task;
  std::optional<std::string> base_model_digest;  // spec.baseModel.digest
  std::optional<std::string> previous_round;     // spec.baseModel.previousRound
  kube::LabelSelector silo_selector;
  int64_t min_participants = 2;
  int64_t local_steps = 10;
  RoundPrivacy privacy;
  RoundDeadlines deadlines;
  double evaluation_holdout = 0.2;  // spec.evaluation.holdoutFraction; 0: no evaluation stage
};

// Throws ConfigError naming the object and the field for a malformed round.
FederatedRound ParseFederatedRound(const Json& object);

// One admitted silo, as the aggregator's roster lists it.
struct ParticipantSilo {
  std::string name;
  double epsilon_budget = 0;  // recorded by the aggregator's release log
  double delta = 1e-5;
};

// The aggregator's round config (PUT /v1/rounds/<round>): the spec's
// settings with the defaults the CRD leaves to the controller (the server
// optimizer's betas and tau among them), the admitted roster, and the base
// model: `base_model_digest` when given (the previous round's model), else
// spec.baseModel.digest, else none (a fresh model from the seed). Throws
// ConfigError when the round names a previous round but no digest is given
// (it must wait for that round), for an empty roster, or when the aggregator
// would refuse the config (ParseRoundConfig validates it).
fl::RoundConfig ToAggregatorRoundConfig(const FederatedRound& round,
                                        const std::vector<ParticipantSilo>& roster,
                                        std::optional<std::string> base_model_digest);

// The n-th round of a FederatedModel: "<model>-r<n>" (n >= 1).
std::string ModelRoundName(const std::string& model, int64_t ordinal);
// n for a name "<model>-r<n>" made by ModelRoundName; nullopt for any other
// name (another model's round, a hand-made one, "r0", leading zeros).
std::optional<int64_t> ParseRoundOrdinal(const std::string& model, const std::string& round_name);

}  // namespace fedcrm::op
