// Interpreting one CSV cell as a typed value.
//
// Cells are trimmed of surrounding spaces and tabs before they are
// interpreted, because CRM exports pad columns inconsistently; an empty cell
// after trimming is a missing value.
#pragma once

#include <optional>
#include <string_view>

namespace fedcrm::data {

std::string_view TrimCell(std::string_view cell);

// A finite decimal number ("12", "-3.5", "+1e3"). Returns nullopt for
// anything else, including "nan", "inf", hex and out-of-range values.
std::optional<double> ParseNumber(std::string_view cell);

// true/false/yes/no/1/0, case-insensitive. Returns nullopt otherwise.
std::optional<bool> ParseBoolean(std::string_view cell);

}  // namespace fedcrm::data
