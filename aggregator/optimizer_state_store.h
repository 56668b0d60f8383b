// The server optimizer's state per model line (fedadam's moments, the round
// count), kept on disk so that a restarted aggregator continues a line where
// it stopped instead of silently resetting its adaptive state.
//
// One file per line: <dir>/<line>.json, replaced atomically (temporary file,
// fsync, rename). Line names are restricted to [A-Za-z0-9._-] (1-253 bytes)
// so that no name can reach outside `dir`.
#pragma once

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace fedcrm::aggregator {

class OptimizerStateStore {
 public:
  // Creates `dir` when missing; fedcrm::ConfigError when that fails.
  explicit OptimizerStateStore(std::filesystem::path dir);

  // The saved state of `model_line`, or nullopt. A malformed file is a
  // fedcrm::DataError naming it. A malformed line name is a ConfigError.
  std::optional<nlohmann::json> Load(const std::string& model_line) const;
  // Replaces the state of `model_line`; fedcrm::ConfigError when the write fails.
  void Save(const std::string& model_line, const nlohmann::json& state);

 private:
  std::filesystem::path PathFor(const std::string& model_line) const;

  std::filesystem::path dir_;
  mutable std::mutex mu_;
};

}  // namespace fedcrm::aggregator
