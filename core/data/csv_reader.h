// A streaming RFC 4180 CSV reader.
//
// Reads one record at a time from a std::istream, so a silo's file is never
// held in memory as text. Accepts what real exports contain: LF or CRLF line
// breaks (a lone CR also ends a line), a UTF-8 byte-order mark at the start,
// quoted fields with doubled quotes and embedded commas and line breaks, empty
// fields, and a last line with or without a line break. Blank lines between
// records are skipped. A quote inside an unquoted field is kept as data.
//
// Malformed input throws fedcrm::DataError naming the source, the physical
// line, the 1-based field index and what was expected. Checking the number of
// fields against a header is the caller's job: the reader does not know which
// record is the header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace fedcrm::data {

struct CsvRecord {
  std::vector<std::string> fields;
  std::int64_t line = 0;  // 1-based physical line on which the record starts
};

// Bounds on one field and one record. A quote that is never closed would
// otherwise swallow the rest of a multi-gigabyte file into one field before
// the error could be reported.
struct CsvLimits {
  std::size_t max_field_bytes = std::size_t{1} << 20;
  // Counts each field's bytes plus one, so a line of a million commas is
  // bounded too.
  std::size_t max_record_bytes = std::size_t{16} << 20;
};

class CsvReader {
 public:
  // `in` must outlive the reader. `source_name` labels errors (a path or
  // "<memory>").
  CsvReader(std::istream& in, std::string source_name, CsvLimits limits = {});

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into *record. Returns false at the end of the input
  // (leaving *record with no fields). Throws fedcrm::DataError.
  bool Next(CsvRecord* record);

  const std::string& source_name() const { return source_name_; }

 private:
  static constexpr int kEnd = -1;

  int Peek();
  int Get();
  void SkipByteOrderMark();
  // Consumes a line break whose first byte `c` was already read.
  void FinishLineBreak(int c);
  void ReadUnquoted(std::string* field, std::int64_t column, std::size_t* record_bytes);
  void ReadQuoted(std::string* field, std::int64_t column, std::size_t* record_bytes);
  void Append(std::string* field, char c, std::int64_t field_line, std::int64_t column,
              std::size_t* record_bytes);

  std::streambuf* buf_;
  std::string source_name_;
  CsvLimits limits_;
  // Bytes read while looking for a byte-order mark that turned out not to be
  // one; served before the stream.
  std::string pending_;
  std::size_t pending_pos_ = 0;
  bool started_ = false;
  std::int64_t line_ = 1;
};

}  // namespace fedcrm::data
