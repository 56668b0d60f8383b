// Short, printable renderings of input values for error messages.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace fedcrm::data {

// `value` as it should appear inside an error message: control bytes become
// \xNN (so a stray newline or NUL cannot garble a log line) and anything past
// `max_bytes` is cut and marked with "...", because a runaway field can be a
// megabyte long.
std::string Excerpt(std::string_view value, std::size_t max_bytes = 64);

// "a, b, c" for at most `max_items` items, then "... (N more)".
std::string JoinForMessage(std::span<const std::string> items, std::size_t max_items = 20);

}  // namespace fedcrm::data
