// The aggregator's record of every model it released, and from it each
// silo's privacy spending.
//
// An append-only JSON-lines file (one record per line, written and fsynced
// before the release is reported), so a silo's ε survives restarts: the
// aggregator can only under-report privacy loss by losing this file, never by
// crashing. A crash may leave a torn last line, which reloading drops (that
// release was never reported, so its model was never served as released).
//
// Record: {"round", "modelLine", "digest", "time",
//          "silos": [{"name", "q", "sigma", "steps", "delta", "budget"}],
//          "baseModel", "dropped": [names], "config": {canonical round config}}
// The last three let a restarted aggregator answer for a released round (its
// status, and whether a re-sent PUT is the same round) instead of training
// and charging it again; records written before they existed lack them.
//
// A round with an evaluation stage adds a second line once its model has
// been scored: {"round", "evaluation": {...}} (RoundState's "evaluation"
// status field). Replay attaches it to the round's release record; it
// charges nothing.
// A silo whose update was released without DP has q, sigma and steps null:
// its ε is then infinite, which is the honest answer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/privacy/rdp_curve.h"

namespace fedcrm::aggregator {

// One silo's privacy charge for one released model.
struct SiloCharge {
  std::string silo;
  bool private_release = true;  // false: no DP, the charge is unbounded
  double sampling_rate = 0;     // q
  double noise_multiplier = 0;  // sigma
  int64_t steps = 0;
  double delta = 1e-5;  // the silo's delta, at which its epsilon is reported
  double budget = 0;    // its epsilon budget; 0 = none recorded
};

struct ReleaseRecord {
  std::string round;
  std::string model_line;
  std::string digest;
  std::string time;               // RFC 3339, informational
  std::vector<SiloCharge> silos;  // the contributors
  std::string base_model;         // digest the round started from
  std::vector<std::string> dropped;
  // fl::RoundConfigToJson of the round; null in records that predate it.
  std::shared_ptr<const nlohmann::json> config;
  // The federated evaluation of the released model; null until recorded.
  std::shared_ptr<const nlohmann::json> evaluation;
};

// What one silo has spent over every release that included it.
struct SiloSpending {
  std::string silo;
  double epsilon_spent = 0;  // at `delta`; +infinity after a release without DP
  double delta = 1e-5;       // from the silo's latest record
  double budget = 0;         // from the silo's latest record; 0 = none
  int64_t releases = 0;
  // budget - epsilon_spent; nullopt without a budget.
  std::optional<double> Remaining() const;
};

class ReleaseLog {
 public:
  // Opens (creating when missing) and replays `path`. Drops a torn last line
  // (truncating the file so appends start on a clean line); any other
  // malformed line throws fedcrm::DataError naming the file and line.
  explicit ReleaseLog(std::filesystem::path path);

  // Writes one line and fsyncs it before returning. Throws fedcrm::ConfigError
  // naming the file when the write fails (nothing is recorded in memory then).
  void Append(const ReleaseRecord& record);
  // Records the evaluation of released `round`'s model, written and synced
  // like Append. Throws fedcrm::ConfigError when `round` was not released or
  // the write fails.
  void AppendEvaluation(const std::string& round, const nlohmann::json& evaluation);

  std::vector<ReleaseRecord> Records() const;
  // The record of `round`, if it was released.
  std::optional<ReleaseRecord> Find(const std::string& round) const;
  // Per-silo spending, sorted by silo name.
  std::vector<SiloSpending> Spending() const;
  // Lines dropped as torn when the log was opened (0 or 1).
  int dropped_torn_lines() const { return dropped_torn_lines_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct SiloAccount {
    privacy::RdpCurve curve;
    bool unbounded = false;
    double delta = 1e-5;
    double budget = 0;
    int64_t releases = 0;
  };

  void Replay();
  void ReplayLine(const nlohmann::json& line);
  void Account(const ReleaseRecord& record);
  ReleaseRecord* FindLocked(const std::string& round);
  // Appends `line` and fsyncs; false (errno set) when that fails.
  bool WriteLine(const std::string& line) const;

  std::filesystem::path path_;
  mutable std::mutex mu_;
  std::vector<ReleaseRecord> records_;
  std::map<std::string, SiloAccount> accounts_;
  int dropped_torn_lines_ = 0;
};

// The JSON form of a record; FromJson throws fedcrm::ConfigError naming
// `where` and the field.
nlohmann::json ReleaseRecordToJson(const ReleaseRecord& record);
ReleaseRecord ReleaseRecordFromJson(const nlohmann::json& json, const std::string& where);

}  // namespace fedcrm::aggregator
