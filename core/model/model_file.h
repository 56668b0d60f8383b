// fedcrm model files: a safetensors file holding one tensor per entry of the
// model's Layout() (F64, in layout order) and, in its metadata, the format
// version ("fedcrm.format") and the model card as JSON ("fedcrm.card").
//
// Serialization is deterministic, so equal models with equal cards give equal
// bytes and equal digests; the digest is the model's identity in the store,
// in FederatedRound status and in lineage.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/model/model.h"
#include "core/model/model_card.h"

namespace fedcrm::model {

inline constexpr char kModelFormatKey[] = "fedcrm.format";
inline constexpr char kModelFormatVersion[] = "1";
inline constexpr char kModelCardKey[] = "fedcrm.card";

struct LoadedModel {
  std::unique_ptr<Model> model;
  ModelCard card;
  std::string digest;  // Digest() of the bytes it was parsed from
};

// The model file for `model`. The card's spec is replaced by model.spec(),
// so the two cannot disagree.
std::string SerializeModel(const Model& model, const ModelCard& card);

// Parses and validates a model file; `source` names it in errors. Every
// problem (container, format version, card, tensor names or shapes that do
// not match the card's spec, non-finite parameters) is a fedcrm::DataError.
LoadedModel ParseModel(std::string_view bytes, const std::string& source);

// "sha256:" followed by 64 lowercase hex digits.
std::string Digest(std::string_view bytes);

// Reads `path` and parses it. An unreadable file is a fedcrm::ConfigError.
LoadedModel LoadModelFile(const std::filesystem::path& path);

// The whole content of `path`; fedcrm::ConfigError when it cannot be read.
std::string ReadFileBytes(const std::filesystem::path& path);

}  // namespace fedcrm::model
