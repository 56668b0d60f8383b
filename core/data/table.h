// Reading a CSV file into typed columns under a feature schema.
//
// Every cell a schema uses is validated while the file streams by; the result
// holds typed values only (no raw strings), ready for statistics and
// encoding. Columns the schema does not name (ids, timestamps) are ignored.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "core/data/feature_schema.h"
#include "core/data/feature_statistics.h"

namespace fedcrm::data {

// Token counts of a text column in compressed-row form: row r's entries are
// [row_start[r], row_start[r + 1]) of `bucket` and `count`, sorted by bucket.
struct TextCounts {
  std::vector<std::int64_t> row_start = {0};
  std::vector<std::int32_t> bucket;
  std::vector<std::int32_t> count;

  bool operator==(const TextCounts&) const = default;
};

// One schema feature's values; only the member matching `type` is filled.
struct ParsedColumn {
  std::string name;
  FeatureType type = FeatureType::kNumeric;
  std::vector<double> numbers;           // after the transform; NaN = missing
  std::vector<std::int32_t> categories;  // vocabulary index; vocabulary.size() = other
  std::vector<std::uint8_t> booleans;    // 0 or 1
  TextCounts text;

  bool operator==(const ParsedColumn&) const = default;
};

struct ParsedTable {
  std::string source_name;
  std::vector<ParsedColumn> columns;  // one per schema feature, in schema order
  std::vector<std::int32_t> labels;   // class index per row

  std::int64_t rows() const { return static_cast<std::int64_t>(labels.size()); }

  // Count, sum and sum of squares of the numeric columns (missing values
  // skipped), in schema order: this silo's share of the federation's
  // statistics.
  FeatureStatistics Statistics() const;

  // The rows at `rows` (each in [0, rows())), in that order: how a silo
  // holds out a test set before computing its statistics, so that test rows
  // never inform standardization.
  ParsedTable Subset(const std::vector<std::int64_t>& rows) const;
};

// Reads a CSV with a header row. Throws fedcrm::DataError naming
// source_name, line, column, value and expectation for: no header, a schema
// or label column absent from the header, a record whose field count differs
// from the header's, and any cell the schema rejects.
ParsedTable ReadTable(std::istream& in, const std::string& source_name,
                      const FeatureSchema& schema);

// ReadTable on the file at `path`; errors name the path. A path that cannot
// be opened (missing, unreadable, a directory) throws fedcrm::ConfigError.
ParsedTable ReadTableFile(const std::string& path, const FeatureSchema& schema);

}  // namespace fedcrm::data
