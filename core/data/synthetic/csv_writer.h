// Writes RFC 4180 CSV: comma-separated fields, CRLF after every record, and a
// field quoted only when it holds a comma, a quote, a line break or edge
// spaces, with its quotes doubled.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace fedcrm::data::synthetic {

class CsvWriter {
 public:
  // `out` must outlive the writer.
  explicit CsvWriter(std::ostream& out) : out_(out) {}

  void WriteRecord(const std::vector<std::string>& fields);

  // `field` as it appears in a record: quoted when it needs to be.
  static std::string Escape(std::string_view field);

 private:
  std::ostream& out_;
};

// `value` with `digits` decimals in the C locale ("-0.000" becomes "0.000"),
// so files do not depend on the user's locale.
std::string FormatFixed(double value, int digits);

}  // namespace fedcrm::data::synthetic
