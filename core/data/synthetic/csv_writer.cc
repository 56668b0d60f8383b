#include "core/data/synthetic/csv_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <system_error>

namespace fedcrm::data::synthetic {
namespace {

bool NeedsQuotes(std::string_view field) {
  if (field.empty()) return false;
  // Leading or trailing spaces survive a round trip only when quoted: some
  // readers trim them.
  if (field.front() == ' ' || field.back() == ' ') return true;
  return field.find_first_of(",\"\r\n") != std::string_view::npos;
}

}  // namespace

std::string CsvWriter::Escape(std::string_view field) {
  if (!NeedsQuotes(field)) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void CsvWriter::WriteRecord(const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out_ << ',';
    out_ << Escape(fields[i]);
  }
  out_ << "\r\n";
}

std::string FormatFixed(double value, int digits) {
  assert(std::isfinite(value) && digits >= 0);
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed, digits);
  assert(ec == std::errc());
  std::string text(buffer, end);
  // A small negative value rounds to "-0.000"; a sign on zero would only
  // confuse readers of the file.
  if (text.front() == '-' && text.find_first_not_of("-0.") == std::string::npos) {
    text.erase(0, 1);
  }
  return text;
}

}  // namespace fedcrm::data::synthetic
