// A content-addressed store of model files on a local disk (the aggregator's
// PVC): each file is named by its SHA-256, so a digest in a FederatedRound's
// status identifies exactly one set of bytes, forever.
//
// Layout of the directory:
//   <hex>.safetensors  the model file, written atomically and fsynced
//   <hex>.card.json    its model card, pretty-printed for humans
// A crash leaves at worst a stray ".tmp-*" file, never a partial model.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fedcrm::model {

class ModelStore {
 public:
  // Creates `dir` when missing; fedcrm::ConfigError when that fails.
  explicit ModelStore(std::filesystem::path dir);

  // Stores a model file and returns its digest ("sha256:<hex>"). The bytes
  // must parse as a model file (fedcrm::DataError otherwise). Idempotent:
  // storing present bytes again rewrites nothing unless the copy on disk is
  // corrupt. Safe against concurrent Puts, even of the same bytes.
  std::string Put(std::string_view bytes);

  // The bytes stored under `digest`, or nullopt when absent. Verifies them
  // against the digest and throws fedcrm::DataError when the file on disk
  // is corrupt. A malformed digest (anything but "sha256:" and 64 lowercase
  // hex digits) is a fedcrm::ConfigError, so no digest can name a path
  // outside the store.
  std::optional<std::string> Get(const std::string& digest) const;

  // Whether a model with `digest` is stored (ConfigError when malformed).
  bool Contains(const std::string& digest) const;

  // Digests of every stored model, sorted.
  std::vector<std::string> List() const;

  const std::filesystem::path& dir() const { return dir_; }

  // Whether `digest` is "sha256:" followed by 64 lowercase hex digits.
  static bool IsValidDigest(std::string_view digest);

 private:
  std::filesystem::path PathFor(const std::string& digest, std::string_view suffix) const;
  void WriteAtomically(const std::string& name, std::string_view bytes) const;

  std::filesystem::path dir_;
};

}  // namespace fedcrm::model
