#include "runtime/log.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "core/common/error.h"

namespace fedcrm::runtime {

LogLevel ParseLogLevel(const std::string& text, const std::string& where) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  throw ConfigError(where, "log level '" + text + "': expected one of debug, info, warn, error");
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

void to_json(nlohmann::json& json, const Redacted&) { json = kRedactedText; }

std::ostream& operator<<(std::ostream& out, const Redacted&) { return out << kRedactedText; }

bool IsSecretKey(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::string_view kMarkers[] = {
      "password",   "passwd",     "secret",        "token",   "private_key",
      "privatekey", "credential", "authorization", "api_key", "apikey"};
  return std::any_of(std::begin(kMarkers), std::end(kMarkers), [&](std::string_view marker) {
    return lower.find(marker) != std::string::npos;
  });
}

std::string Rfc3339Now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof(out), "%.*s.%03dZ", static_cast<int>(n), buffer,
                static_cast<int>(millis));
  return out;
}

Logger::Logger() : Logger(&std::cerr) {}

Logger::Logger(std::ostream* sink) : sink_(sink) {}

void Logger::SetLevel(LogLevel level) {
  level_.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel Logger::level() const {
  return static_cast<LogLevel>(level_.load(std::memory_order_relaxed));
}

std::string Logger::Format(LogLevel level, std::string_view msg, LogFields fields) {
  // ordered_json keeps ts, level, msg first and the fields in call order.
  nlohmann::ordered_json line;
  line["ts"] = Rfc3339Now();
  line["level"] = LogLevelName(level);
  line["msg"] = std::string(msg);
  for (const LogField& field : fields) {
    // Reserved keys are kept from being overwritten so a line's header is trustworthy.
    const bool reserved = field.key == "ts" || field.key == "level" || field.key == "msg";
    const std::string key = reserved ? "field." + field.key : field.key;
    if (IsSecretKey(field.key)) {
      line[key] = kRedactedText;
    } else {
      line[key] = field.value;
    }
  }
  // replace: a field carrying invalid UTF-8 must not turn a log call into a throw.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Logger::Write(LogLevel level, std::string_view msg, LogFields fields) {
  if (!Enabled(level)) return;
  std::string text = Format(level, msg, fields);
  text += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  sink_->write(text.data(), static_cast<std::streamsize>(text.size()));
  sink_->flush();
}

Logger& Log() {
  static Logger* logger = new Logger();  // never destroyed: usable from other statics' teardown
  return *logger;
}

}  // namespace fedcrm::runtime
