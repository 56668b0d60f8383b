// Helpers for metav1.Condition lists in status, following the API conventions:
// one entry per type, lastTransitionTime changes only when status does.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace fedcrm::kube {

// Sets the condition of `type` in `conditions` (a JSON array, or null which
// becomes one). Keeps lastTransitionTime when the status is unchanged.
// Returns true when anything in the entry changed, so a controller can skip
// a no-op status update. Throws ConfigError naming the condition for an
// invalid type, status ("True", "False", "Unknown"), reason or message, or
// when `conditions` is neither null nor an array.
bool SetCondition(nlohmann::json& conditions, std::string_view type, std::string_view status,
                  std::string_view reason, std::string_view message,
                  std::int64_t observed_generation, std::chrono::system_clock::time_point now);

// The entry of `type`, or nullptr when absent (or `conditions` isn't an array).
const nlohmann::json* FindCondition(const nlohmann::json& conditions, std::string_view type);

// True when the condition of `type` exists with status "True".
bool IsTrue(const nlohmann::json& conditions, std::string_view type);

// Removes the condition of `type`; returns whether one was there.
bool RemoveCondition(nlohmann::json& conditions, std::string_view type);

// ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ and at most 1024 characters.
bool IsValidConditionReason(std::string_view reason);

// A qualified name ("Ready", "fedcrm.io/BudgetAvailable") of at most 316.
bool IsValidConditionType(std::string_view type);

// RFC 3339 in UTC with second precision: "2026-11-29T23:01:09Z".
std::string FormatRfc3339(std::chrono::system_clock::time_point t);
// The inverse, for times in UTC as the API server and the controllers write
// them ("2026-11-29T23:01:09Z", perhaps with a fraction of a second, which is
// dropped); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

}  // namespace fedcrm::kube
