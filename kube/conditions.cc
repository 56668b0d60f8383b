#include "kube/conditions.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "kube/resource_key.h"

namespace fedcrm::kube {
namespace {

constexpr std::size_t kMaxReason = 1024;
constexpr std::size_t kMaxMessage = 32768;
constexpr std::size_t kMaxType = 316;
constexpr std::size_t kMaxTypeName = 63;

bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

// The name part of a qualified name: ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool IsValidTypeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTypeName) return false;
  if (!IsAlnum(name.front()) || !IsAlnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string Where(std::string_view type) { return "condition '" + std::string(type) + "'"; }

}  // namespace

bool IsValidConditionReason(std::string_view reason) {
  if (reason.empty() || reason.size() > kMaxReason || !IsAlpha(reason.front())) return false;
  char last = reason.back();
  if (reason.size() > 1 && !(IsAlnum(last) || last == '_')) return false;
  return std::all_of(reason.begin(), reason.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == ',' || c == ':'; });
}

bool IsValidConditionType(std::string_view type) {
  if (type.empty() || type.size() > kMaxType) return false;
  std::size_t slash = type.find('/');
  if (slash == std::string_view::npos) return IsValidTypeName(type);
  return IsValidObjectName(type.substr(0, slash)) && IsValidTypeName(type.substr(slash + 1));
}

std::string FormatRfc3339(std::chrono::system_clock::time_point t) {
  std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text) {
  const std::string copy(text);
  std::tm utc{};
  const char* rest = strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
  if (rest == nullptr) return std::nullopt;
  if (*rest == '.') {
    for (++rest; *rest >= '0' && *rest <= '9';) ++rest;
  }
  if (std::string_view(rest) != "Z") return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

const nlohmann::json* FindCondition(const nlohmann::json& conditions, std::string_view type) {
  if (!conditions.is_array()) return nullptr;
  for (const nlohmann::json& c : conditions) {
    if (c.is_object()) {
      auto it = c.find("type");
      if (it != c.end() && it->is_string() && it->get_ref<const std::string&>() == type) {
        return &c;
      }
    }
  }
  return nullptr;
}

bool IsTrue(const nlohmann::json& conditions, std::string_view type) {
  const nlohmann::json* c = FindCondition(conditions, type);
  if (c == nullptr) return false;
  auto it = c->find("status");
  return it != c->end() && it->is_string() && it->get_ref<const std::string&>() == "True";
}

bool RemoveCondition(nlohmann::json& conditions, std::string_view type) {
  const nlohmann::json* c = FindCondition(conditions, type);
  if (c == nullptr) return false;
  conditions.erase(static_cast<std::size_t>(c - &conditions[0]));
  return true;
}

bool SetCondition(nlohmann::json& conditions, std::string_view type, std::string_view status,
                  std::string_view reason, std::string_view message,
                  std::int64_t observed_generation, std::chrono::system_clock::time_point now) {
  const std::string where = Where(type);
  if (!IsValidConditionType(type)) {
    throw ConfigError(where,
                      "type: expected a qualified name such as 'Ready' or "
                      "'example.com/Ready' of at most 316 characters");
  }
  if (status != "True" && status != "False" && status != "Unknown") {
    throw ConfigError(where,
                      "status '" + std::string(status) + "': expected one of True, False, Unknown");
  }
  if (!IsValidConditionReason(reason)) {
    throw ConfigError(where, "reason '" + std::string(reason) +
                                 "': expected CamelCase matching "
                                 "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$, at most 1024 long");
  }
  if (message.size() > kMaxMessage) {
    throw ConfigError(where, "message: longer than 32768 characters");
  }
  if (observed_generation < 0) {
    throw ConfigError(where, "observedGeneration: expected >= 0");
  }
  if (conditions.is_null()) conditions = nlohmann::json::array();
  if (!conditions.is_array()) {
    throw ConfigError("status.conditions", "expected an array");
  }

  nlohmann::json updated = {{"type", type},
                            {"status", status},
                            {"reason", reason},
                            {"message", message},
                            {"observedGeneration", observed_generation},
                            {"lastTransitionTime", FormatRfc3339(now)}};
  for (nlohmann::json& c : conditions) {
    if (!c.is_object() || c.value("type", "") != type) continue;
    if (c.value("status", "") == status && c.contains("lastTransitionTime")) {
      updated["lastTransitionTime"] = c["lastTransitionTime"];
    }
    if (c == updated) return false;
    c = std::move(updated);
    return true;
  }
  conditions.push_back(std::move(updated));
  return true;
}

}  // namespace fedcrm::kube
