#include "core/model/model_file.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "core/common/error.h"
#include "core/model/model_factory.h"
#include "core/model/safetensors.h"
#include "core/model/untrusted_json.h"

namespace fedcrm::model {
namespace {

// Cards nest free-form JSON (schema, lineage) but never deeply.
constexpr int kMaxCardDepth = 32;

[[noreturn]] void Fail(const std::string& source, const std::string& value,
                       const std::string& expected) {
  throw DataError({source, 0, 0, ""}, value, expected);
}

ModelCard ParseCard(const SafetensorsContents& contents, const std::string& source) {
  const auto format = contents.metadata.find(kModelFormatKey);
  if (format == contents.metadata.end()) {
    Fail(source, "",
         std::string("expected metadata '") + kModelFormatKey + "' (not a fedcrm model file)");
  }
  if (format->second != kModelFormatVersion) {
    Fail(source, std::string(kModelFormatKey) + " '" + format->second + "'",
         std::string("expected format version ") + kModelFormatVersion);
  }
  const auto card_text = contents.metadata.find(kModelCardKey);
  if (card_text == contents.metadata.end()) {
    Fail(source, "", std::string("expected metadata '") + kModelCardKey + "' (the model card)");
  }
  std::string problem;
  const nlohmann::json card_json = ParseUntrustedJson(card_text->second, kMaxCardDepth, &problem);
  if (card_json.is_discarded()) Fail(source, kModelCardKey, "expected a JSON object: " + problem);
  try {
    return ModelCard::FromJson(card_json, kModelCardKey);
  } catch (const ConfigError& e) {
    Fail(source, e.where(), e.problem());
  }
}

// The flat parameter vector of a model with `layout`, taken from the
// tensors, which must match the layout one to one.
Eigen::VectorXd GatherParameters(const std::vector<TensorSlice>& layout, Eigen::Index count,
                                 const SafetensorsContents& contents, const std::string& source) {
  std::map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& tensor : contents.tensors) by_name[tensor.name] = &tensor;
  if (by_name.size() != layout.size()) {
    Fail(source, std::to_string(by_name.size()) + " tensors",
         "expected " + std::to_string(layout.size()) + " tensors for the card's model spec");
  }
  Eigen::VectorXd params(count);
  for (const TensorSlice& slice : layout) {
    const auto it = by_name.find(slice.name);
    if (it == by_name.end()) {
      Fail(source, "", "expected a tensor named '" + slice.name + "' for the card's model spec");
    }
    const NamedTensor& tensor = *it->second;
    if (tensor.shape != slice.shape) {
      Fail(source, "tensor '" + slice.name + "' shape",
           "expected the shape the card's model spec implies");
    }
    for (Eigen::Index i = 0; i < slice.size(); ++i) {
      const double v = tensor.values[static_cast<size_t>(i)];
      if (!std::isfinite(v)) {
        Fail(source, "tensor '" + slice.name + "' element " + std::to_string(i),
             "expected a finite parameter");
      }
      params(slice.offset + i) = v;
    }
  }
  return params;
}

}  // namespace

std::string SerializeModel(const Model& model, const ModelCard& card) {
  ModelCard written = card;
  written.spec = model.spec();
  SafetensorsContents contents;
  const Eigen::VectorXd& params = model.Parameters();
  for (const TensorSlice& slice : model.Layout()) {
    NamedTensor tensor{slice.name, slice.shape, {}};
    tensor.values.assign(params.data() + slice.offset, params.data() + slice.offset + slice.size());
    contents.tensors.push_back(std::move(tensor));
  }
  contents.metadata[kModelFormatKey] = kModelFormatVersion;
  contents.metadata[kModelCardKey] =
      written.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return WriteSafetensors(contents);
}

LoadedModel ParseModel(std::string_view bytes, const std::string& source) {
  const SafetensorsContents contents = ReadSafetensors(bytes, source);
  LoadedModel loaded;
  loaded.card = ParseCard(contents, source);

  // Compare sizes before building: the model's allocation is then bounded by
  // the bytes actually present.
  int64_t stored = 0;
  for (const NamedTensor& tensor : contents.tensors) {
    stored += static_cast<int64_t>(tensor.values.size());
  }
  if (stored != CountParameters(loaded.card.spec)) {
    Fail(source, std::to_string(stored) + " stored parameters",
         "expected " + std::to_string(CountParameters(loaded.card.spec)) +
             " for the card's model spec");
  }
  loaded.model = MakeModel(loaded.card.spec, 0);
  loaded.model->SetParameters(
      GatherParameters(loaded.model->Layout(), loaded.model->NumParameters(), contents, source));
  loaded.digest = Digest(bytes);
  return loaded;
}

std::string Digest(std::string_view bytes) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), hash, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[hash[i] >> 4]);
    out.push_back(kHex[hash[i] & 0xf]);
  }
  return out;
}

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw ConfigError(path.string(), "is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path.string(),
                      std::string("cannot open for reading: ") + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw ConfigError(path.string(), "read failed");
  return std::move(content).str();
}

LoadedModel LoadModelFile(const std::filesystem::path& path) {
  return ParseModel(ReadFileBytes(path), path.string());
}

}  // namespace fedcrm::model
