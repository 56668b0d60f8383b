#include "operator/federated_round.h"

#include "operator/json_fields.h"
#include "operator/label_selector.h"

namespace fedcrm::op {
namespace {

void ParseMetadata(const Json& object, const FieldPath& at, FederatedRound* round) {
  const Json& metadata = RequiredObject(object, "metadata", at);
  const FieldPath m = at.Child("metadata");
  round->name = RequiredString(metadata, "name", m);
  if (!kube::IsValidObjectName(round->name)) {
    throw m.Child("name").Error("'" + round->name + "' is not a valid object name");
  }
  round->namespace_ = OptionalString(metadata, "namespace", m, "");
  round->uid = OptionalString(metadata, "uid", m, "");
  round->generation = OptionalInteger(metadata, "generation", m, 0, 0, INT64_MAX);
  round->labels = OptionalStringMap(metadata, "labels", m);
}

void ParseBaseModel(const Json& spec, const FieldPath& s, FederatedRound* round) {
  const Json& base = OptionalObject(spec, "baseModel", s);
  const FieldPath b = s.Child("baseModel");
  if (FindField(base, "digest")) round->base_model_digest = RequiredString(base, "digest", b);
  if (FindField(base, "previousRound")) {
    round->previous_round = RequiredString(base, "previousRound", b);
  }
  if (round->base_model_digest && round->previous_round) {
    throw b.Error("both digest and previousRound are set; expected exactly one");
  }
}

void ParsePrivacy(const Json& spec, const FieldPath& s, FederatedRound* round) {
  const Json& p = RequiredObject(spec, "privacy", s);
  const FieldPath at = s.Child("privacy");
  auto& out = round->privacy;
  out.noise_multiplier = RequiredNumber(p, "noiseMultiplier", at, 0.0, 1e4, true);
  out.clip_norm = OptionalNumber(p, "clipNorm", at, 1.0, 0.0, 1e6, true);
  out.sampling_rate = OptionalNumber(p, "samplingRate", at, 0.01, 0.0, 1.0, true);
  out.delta = OptionalNumber(p, "delta", at, 1e-5, 0.0, 1.0, true);
  if (out.delta >= 1.0) throw at.Child("delta").Error("expected a number below 1");
}

void ParseDeadlines(const Json& spec, const FieldPath& s, FederatedRound* round) {
  const Json& d = OptionalObject(spec, "deadlines", s);
  const FieldPath at = s.Child("deadlines");
  auto& out = round->deadlines;
  out.phase_seconds = OptionalInteger(d, "phaseSeconds", at, 120, 1, 86400);
  out.masked_input_seconds = OptionalInteger(d, "maskedInputSeconds", at, 900, 1, 604800);
  out.round_seconds = OptionalInteger(d, "roundSeconds", at, 3600, 1, 2592000);
}

// Copies the spec fields whose names the aggregator's config shares.
Json AggregatorDocument(const FederatedRound& round) {
  Json doc = Json::object();
  for (const char* key : {"task", "schema", "model", "seed", "training", "privacy", "aggregation",
                          "secureAggregation"}) {
    if (const Json* value = FindField(round.spec, key)) doc[key] = *value;
  }
  doc["modelLine"] = round.model_line;
  doc["deadlines"] = {{"phaseSeconds", round.deadlines.phase_seconds},
                      {"maskedInputSeconds", round.deadlines.masked_input_seconds}};
  if (round.evaluation_holdout > 0) {
    doc["evaluation"] = {{"holdoutFraction", round.evaluation_holdout}};
  }
  return doc;
}

bool AllDigits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

FederatedRound ParseFederatedRound(const Json& object) {
  const FieldPath at(DescribeObject(object, kFederatedRoundKind), "");
  if (!object.is_object()) throw at.Error("expected a JSON object");
  FederatedRound round;
  ParseMetadata(object, at, &round);
  round.spec = RequiredObject(object, "spec", at);
  const FieldPath s = at.Child("spec");
  const Json& spec = round.spec;
  round.model_line = OptionalString(spec, "modelLine", s, round.name);
  round.task = RequiredString(spec, "task", s);
  RequiredObject(spec, "schema", s);
  ParseBaseModel(spec, s, &round);
  round.silo_selector =
      ParseLabelSelector(RequiredObject(spec, "siloSelector", s), s.Child("siloSelector"));
  round.min_participants = RequiredInteger(spec, "minParticipants", s, 2, 100000);
  const Json& training = OptionalObject(spec, "training", s);
  round.local_steps = OptionalInteger(training, "localSteps", s.Child("training"), 10, 1, 1000000);
  ParsePrivacy(spec, s, &round);
  ParseDeadlines(spec, s, &round);
  round.evaluation_holdout =
      OptionalNumber(OptionalObject(spec, "evaluation", s), "holdoutFraction",
                     s.Child("evaluation"), 0.2, 0.0, 0.9);
  return round;
}

fl::RoundConfig ToAggregatorRoundConfig(const FederatedRound& round,
                                        const std::vector<ParticipantSilo>& roster,
                                        std::optional<std::string> base_model_digest) {
  const std::string where = DescribeObject(
      {{"metadata", {{"name", round.name}, {"namespace", round.namespace_}}}}, kFederatedRoundKind);
  if (roster.empty()) throw ConfigError(where, "the roster is empty; expected admitted silos");
  if (!base_model_digest) base_model_digest = round.base_model_digest;
  if (!base_model_digest && round.previous_round) {
    throw ConfigError(where + ": spec.baseModel.previousRound",
                      "round '" + *round.previous_round +
                          "' has no model digest yet; expected it to succeed first");
  }
  Json doc = AggregatorDocument(round);
  if (base_model_digest) doc["baseModel"] = *base_model_digest;
  doc["silos"] = Json::array();
  for (const auto& silo : roster) {
    doc["silos"].push_back(
        {{"name", silo.name}, {"epsilonBudget", silo.epsilon_budget}, {"delta", silo.delta}});
  }
  try {
    return fl::ParseRoundConfig(doc, round.name);
  } catch (const ConfigError& e) {
    throw ConfigError(where + ": " + e.where(), e.problem());
  }
}

std::string ModelRoundName(const std::string& model, int64_t ordinal) {
  return model + "-r" + std::to_string(ordinal);
}

std::optional<int64_t> ParseRoundOrdinal(const std::string& model, const std::string& round_name) {
  const std::string prefix = model + "-r";
  if (round_name.size() <= prefix.size() || round_name.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  const std::string digits = round_name.substr(prefix.size());
  if (!AllDigits(digits) || digits[0] == '0' || digits.size() > 18) return std::nullopt;
  return std::stoll(digits);
}

}  // namespace fedcrm::op
