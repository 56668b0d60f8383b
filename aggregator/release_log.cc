#include "aggregator/release_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/error.h"
#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::aggregator {
namespace {

using nlohmann::json;

const json& Field(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw ConfigError(where + "." + key, "missing");
  }
  return object.at(key);
}

std::string StringField(const json& object, const char* key, const std::string& where) {
  const json& value = Field(object, key, where);
  if (!value.is_string()) throw ConfigError(where + "." + key, "expected a string");
  return value.get<std::string>();
}

double NumberField(const json& object, const char* key, const std::string& where) {
  const json& value = Field(object, key, where);
  if (!value.is_number()) throw ConfigError(where + "." + key, "expected a number");
  return value.get<double>();
}

int64_t IntField(const json& object, const char* key, const std::string& where) {
  const json& value = Field(object, key, where);
  if (!value.is_number_integer()) throw ConfigError(where + "." + key, "expected an integer");
  return value.get<int64_t>();
}

// Writes all of `bytes` to `fd`, retrying short writes.
bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the file itself is synced
  ::fsync(fd);
  ::close(fd);
}

// The fields that let a restarted aggregator answer for the round; optional
// because records written before they existed lack them.
void ReadRestoreFields(const json& object, const std::string& where, ReleaseRecord* record) {
  if (object.contains("baseModel") && !object["baseModel"].is_null()) {
    record->base_model = StringField(object, "baseModel", where);
  }
  if (object.contains("dropped")) {
    const json& dropped = object["dropped"];
    if (!dropped.is_array()) throw ConfigError(where + ".dropped", "expected an array of names");
    for (const json& name : dropped) {
      if (!name.is_string()) throw ConfigError(where + ".dropped", "expected an array of names");
      record->dropped.push_back(name.get<std::string>());
    }
  }
  if (object.contains("config") && !object["config"].is_null()) {
    if (!object["config"].is_object()) throw ConfigError(where + ".config", "expected an object");
    record->config = std::make_shared<const json>(object["config"]);
  }
}

}  // namespace

std::optional<double> SiloSpending::Remaining() const {
  if (budget <= 0) return std::nullopt;
  return budget - epsilon_spent;
}

json ReleaseRecordToJson(const ReleaseRecord& record) {
  json silos = json::array();
  for (const SiloCharge& charge : record.silos) {
    json silo = {{"name", charge.silo}, {"delta", charge.delta}, {"budget", charge.budget}};
    if (charge.private_release) {
      silo["q"] = charge.sampling_rate;
      silo["sigma"] = charge.noise_multiplier;
      silo["steps"] = charge.steps;
    } else {
      silo["q"] = nullptr;
      silo["sigma"] = nullptr;
      silo["steps"] = nullptr;
    }
    silos.push_back(std::move(silo));
  }
  json out = {{"round", record.round},     {"modelLine", record.model_line},
              {"digest", record.digest},   {"time", record.time},
              {"silos", std::move(silos)}, {"baseModel", record.base_model},
              {"dropped", record.dropped}};
  if (record.config) out["config"] = *record.config;
  return out;
}

ReleaseRecord ReleaseRecordFromJson(const json& object, const std::string& where) {
  ReleaseRecord record;
  record.round = StringField(object, "round", where);
  record.model_line = StringField(object, "modelLine", where);
  record.digest = StringField(object, "digest", where);
  record.time = object.contains("time") && object["time"].is_string()
                    ? object["time"].get<std::string>()
                    : "";
  const json& silos = Field(object, "silos", where);
  if (!silos.is_array()) throw ConfigError(where + ".silos", "expected an array");
  for (size_t i = 0; i < silos.size(); ++i) {
    const std::string at = where + ".silos[" + std::to_string(i) + "]";
    const json& silo = silos[i];
    SiloCharge charge;
    charge.silo = StringField(silo, "name", at);
    charge.delta = NumberField(silo, "delta", at);
    charge.budget = NumberField(silo, "budget", at);
    charge.private_release = !Field(silo, "sigma", at).is_null();
    if (charge.private_release) {
      charge.sampling_rate = NumberField(silo, "q", at);
      charge.noise_multiplier = NumberField(silo, "sigma", at);
      charge.steps = IntField(silo, "steps", at);
    }
    if (!(charge.delta > 0 && charge.delta < 1)) {
      throw ConfigError(at + ".delta", "expected a number in (0, 1)");
    }
    record.silos.push_back(std::move(charge));
  }
  ReadRestoreFields(object, where, &record);
  return record;
}

ReleaseLog::ReleaseLog(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code error;
  const bool existed = std::filesystem::exists(path_, error);
  if (!existed) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw ConfigError(path_.string(),
                        std::string("cannot create the release log: ") + std::strerror(errno));
    }
    ::fsync(fd);
    ::close(fd);
    SyncDirectory(path_.parent_path());
  }
  Replay();
}

void ReleaseLog::Replay() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw ConfigError(path_.string(), "cannot read the release log");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  // Lines as (offset, text); the last may lack its newline (a torn write).
  struct Line {
    size_t offset;
    std::string text;
  };
  std::vector<Line> lines;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    const size_t stop = end == std::string::npos ? text.size() : end;
    lines.push_back({start, text.substr(start, stop - start)});
    start = stop + 1;
  }
  while (!lines.empty() && lines.back().text.find_first_not_of(" \t\r") == std::string::npos) {
    lines.pop_back();
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i].text;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path_.string() + ":" + std::to_string(i + 1);
    try {
      ReplayLine(json::parse(line));
    } catch (const std::exception& e) {
      if (i + 1 < lines.size()) {
        throw DataError({path_.string(), static_cast<int64_t>(i + 1), 0, ""}, "",
                        std::string("a release record (") + e.what() + ")");
      }
      // The last line: a write cut short by a crash. Cut it off so the next
      // record starts on a line of its own.
      std::filesystem::resize_file(path_, lines[i].offset);
      dropped_torn_lines_ = 1;
    }
  }
}

void ReleaseLog::ReplayLine(const json& line) {
  if (line.is_object() && line.contains("evaluation")) {
    const std::string round = StringField(line, "round", "evaluation");
    ReleaseRecord* released = FindLocked(round);
    if (released == nullptr) {
      throw ConfigError("evaluation.round", "'" + round + "' has no earlier release record");
    }
    released->evaluation = std::make_shared<const json>(line["evaluation"]);
    return;
  }
  ReleaseRecord record = ReleaseRecordFromJson(line, "release");
  Account(record);
  records_.push_back(std::move(record));
}

ReleaseRecord* ReleaseLog::FindLocked(const std::string& round) {
  for (ReleaseRecord& record : records_) {
    if (record.round == round) return &record;
  }
  return nullptr;
}

bool ReleaseLog::WriteLine(const std::string& line) const {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  const bool ok = fd >= 0 && WriteAll(fd, line) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  if (fd >= 0) ::close(fd);
  errno = saved_errno;
  return ok;
}

void ReleaseLog::Account(const ReleaseRecord& record) {
  for (const SiloCharge& charge : record.silos) {
    SiloAccount& account = accounts_[charge.silo];
    if (account.curve.empty()) account.curve = privacy::RdpCurve::Zero(privacy::DefaultOrders());
    if (charge.private_release) {
      account.curve +=
          privacy::SampledGaussianRdp(charge.sampling_rate, charge.noise_multiplier, charge.steps);
    } else {
      account.unbounded = true;
    }
    account.delta = charge.delta;
    account.budget = charge.budget;
    ++account.releases;
  }
}

void ReleaseLog::Append(const ReleaseRecord& record) {
  const std::string line = ReleaseRecordToJson(record).dump() + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  // Validate the charge before it reaches the disk: a record that cannot be
  // accounted must not poison every later restart.
  const std::map<std::string, SiloAccount> backup = accounts_;
  try {
    Account(record);
  } catch (...) {
    accounts_ = backup;
    throw;
  }
  if (!WriteLine(line)) {
    const int saved_errno = errno;
    accounts_ = backup;
    throw ConfigError(path_.string(), std::string("cannot append to the release log: ") +
                                          std::strerror(saved_errno));
  }
  records_.push_back(record);
}

void ReleaseLog::AppendEvaluation(const std::string& round, const json& evaluation) {
  const std::string line = json{{"round", round}, {"evaluation", evaluation}}.dump() + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  ReleaseRecord* released = FindLocked(round);
  if (released == nullptr) {
    throw ConfigError(path_.string(),
                      "no release of round " + round + " to attach an evaluation to");
  }
  if (!WriteLine(line)) {
    throw ConfigError(path_.string(),
                      std::string("cannot append to the release log: ") + std::strerror(errno));
  }
  released->evaluation = std::make_shared<const json>(evaluation);
}

std::vector<ReleaseRecord> ReleaseLog::Records() const {
  std::lock_guard<std::mutex> lock(mu_);
  return records_;
}

std::optional<ReleaseRecord> ReleaseLog::Find(const std::string& round) const {
  std::lock_guard<std::mutex> lock(mu_);
  const ReleaseRecord* record = const_cast<ReleaseLog*>(this)->FindLocked(round);
  return record ? std::optional<ReleaseRecord>(*record) : std::nullopt;
}

std::vector<SiloSpending> ReleaseLog::Spending() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SiloSpending> out;
  for (const auto& [silo, account] : accounts_) {
    SiloSpending spending;
    spending.silo = silo;
    spending.delta = account.delta;
    spending.budget = account.budget;
    spending.releases = account.releases;
    spending.epsilon_spent = account.unbounded
                                 ? std::numeric_limits<double>::infinity()
                                 : privacy::EpsilonFromRdp(account.curve, account.delta).epsilon;
    out.push_back(std::move(spending));
  }
  return out;
}

}  // namespace fedcrm::aggregator
