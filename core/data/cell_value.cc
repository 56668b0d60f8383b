#include "core/data/cell_value.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace fedcrm::data {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool EqualsIgnoringCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view TrimCell(std::string_view cell) {
  while (!cell.empty() && IsBlank(cell.front())) cell.remove_prefix(1);
  while (!cell.empty() && IsBlank(cell.back())) cell.remove_suffix(1);
  return cell;
}

std::optional<double> ParseNumber(std::string_view cell) {
  // from_chars rejects a leading '+', which spreadsheets do write.
  if (cell.size() > 1 && cell.front() == '+' && cell[1] != '-' && cell[1] != '+') {
    cell.remove_prefix(1);
  }
  if (cell.empty()) return std::nullopt;
  double value = 0.0;
  const char* end = cell.data() + cell.size();
  const auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> ParseBoolean(std::string_view cell) {
  for (std::string_view yes : {"true", "yes", "1"}) {
    if (EqualsIgnoringCase(cell, yes)) return true;
  }
  for (std::string_view no : {"false", "no", "0"}) {
    if (EqualsIgnoringCase(cell, no)) return false;
  }
  return std::nullopt;
}

}  // namespace fedcrm::data
