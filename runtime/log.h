// Structured logs: one JSON object per line, on stderr by default.
//
//   runtime::Log().Info("round closed", {{"round", 12}, {"silos", 3}});
//   -> {"ts":"2024-05-01T09:30:00.125Z","level":"info","msg":"round closed","round":12,"silos":3}
//
// Secrets never print: wrap them in Redacted (it has no JSON form other than
// "[redacted]"), and as a second line of defence the value of any field whose
// key names a secret (password, secret, token, private_key, ...) is replaced
// as well. Thread-safe: each line is written whole.
#pragma once

#include <atomic>
#include <initializer_list>
#include <iosfwd>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace fedcrm::runtime {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug" | "info" | "warn" | "error"; throws fedcrm::ConfigError naming `where` otherwise.
LogLevel ParseLogLevel(const std::string& text, const std::string& where);
const char* LogLevelName(LogLevel level);

// Holds a secret that must not reach a log line. Printing or serializing it
// yields "[redacted]"; Reveal() is the one deliberate way to read it.
class Redacted {
 public:
  explicit Redacted(std::string secret) : secret_(std::move(secret)) {}
  const std::string& Reveal() const { return secret_; }

 private:
  std::string secret_;
};

inline constexpr char kRedactedText[] = "[redacted]";
void to_json(nlohmann::json& json,
             const Redacted& redacted);  // NOLINT(readability-identifier-naming)
std::ostream& operator<<(std::ostream& out, const Redacted& redacted);

// True when a field called `key` must never show its value (case-insensitive
// match of password, passwd, secret, token, private_key, privatekey, credential,
// authorization, api_key, apikey).
bool IsSecretKey(std::string_view key);

struct LogField {
  std::string key;
  nlohmann::json value;
};
using LogFields = std::initializer_list<LogField>;

class Logger {
 public:
  // Writes to std::cerr.
  Logger();
  // Writes to *sink, which must outlive the logger (tests use a stringstream).
  explicit Logger(std::ostream* sink);

  void SetLevel(LogLevel level);
  LogLevel level() const;
  bool Enabled(LogLevel level) const { return level >= this->level(); }

  void Write(LogLevel level, std::string_view msg, LogFields fields = {});
  void Debug(std::string_view msg, LogFields fields = {}) { Write(LogLevel::kDebug, msg, fields); }
  void Info(std::string_view msg, LogFields fields = {}) { Write(LogLevel::kInfo, msg, fields); }
  void Warn(std::string_view msg, LogFields fields = {}) { Write(LogLevel::kWarn, msg, fields); }
  void Error(std::string_view msg, LogFields fields = {}) { Write(LogLevel::kError, msg, fields); }

  // The line Write would emit, without the newline (exposed for tests).
  static std::string Format(LogLevel level, std::string_view msg, LogFields fields);

 private:
  std::ostream* sink_;
  std::atomic<int> level_{static_cast<int>(LogLevel::kInfo)};
  std::mutex mu_;
};

// The process-wide logger (stderr, level info).
Logger& Log();

// Current time as RFC 3339 UTC with milliseconds, e.g. "2024-05-01T09:30:00.125Z".
std::string Rfc3339Now();

}  // namespace fedcrm::runtime
