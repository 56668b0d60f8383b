#include "core/data/table.h"

#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string_view>
#include <utility>

#include "core/common/error.h"
#include "core/data/cell_value.h"
#include "core/data/csv_reader.h"
#include "core/data/excerpt.h"
#include "core/data/text_hashing.h"

namespace fedcrm::data {
namespace {

using Lookup = std::map<std::string, std::int32_t, std::less<>>;

Lookup MakeLookup(const std::vector<std::string>& values) {
  Lookup lookup;
  for (std::size_t i = 0; i < values.size(); ++i) {
    lookup.emplace(values[i], static_cast<std::int32_t>(i));
  }
  return lookup;
}

// Streams records into typed columns. Knows, for each schema feature, which
// CSV field holds it.
class TableBuilder {
 public:
  TableBuilder(const FeatureSchema& schema, const std::string& source_name,
               const CsvRecord& header);

  void Add(const CsvRecord& record);
  ParsedTable Finish() { return std::move(table_); }

 private:
  std::size_t FindColumn(const std::string& name, const char* role) const;
  DataError::Position At(const CsvRecord& record, std::size_t field) const {
    return {table_.source_name, record.line, static_cast<std::int64_t>(field) + 1,
            header_names_[field]};
  }
  void CheckFieldCount(const CsvRecord& record) const;
  void AddNumeric(const FeatureSpec& spec, const CsvRecord& record, std::size_t field,
                  ParsedColumn* column) const;
  void AddCategorical(const FeatureSpec& spec, const Lookup& lookup, const CsvRecord& record,
                      std::size_t field, ParsedColumn* column) const;
  void AddBoolean(const FeatureSpec& spec, const CsvRecord& record, std::size_t field,
                  ParsedColumn* column) const;
  void AddLabel(const CsvRecord& record);

  const FeatureSchema& schema_;
  std::vector<std::string> header_names_;
  std::int64_t header_line_;
  std::vector<std::size_t> feature_fields_;  // per schema feature
  std::vector<Lookup> vocabularies_;         // per schema feature (empty unless categorical)
  std::size_t label_field_;
  Lookup label_classes_;
  ParsedTable table_;
};

TableBuilder::TableBuilder(const FeatureSchema& schema, const std::string& source_name,
                           const CsvRecord& header)
    : schema_(schema), header_line_(header.line) {
  table_.source_name = source_name;
  for (const std::string& name : header.fields) {
    header_names_.emplace_back(TrimCell(name));
  }
  for (const FeatureSpec& spec : schema.features()) {
    feature_fields_.push_back(FindColumn(spec.name, "a schema feature"));
    vocabularies_.push_back(MakeLookup(spec.vocabulary));
    ParsedColumn& column = table_.columns.emplace_back();
    column.name = spec.name;
    column.type = spec.type;
  }
  label_field_ = FindColumn(schema.label().name, "the label");
  label_classes_ = MakeLookup(schema.label().classes);
}

std::size_t TableBuilder::FindColumn(const std::string& name, const char* role) const {
  std::size_t found = header_names_.size();
  for (std::size_t i = 0; i < header_names_.size(); ++i) {
    if (header_names_[i] != name) continue;
    if (found != header_names_.size()) {
      // Two columns of the same name: which one the model would read is a
      // guess, so refuse.
      throw DataError(
          {table_.source_name, header_line_, static_cast<std::int64_t>(i) + 1, name}, "",
          "expected column '" + Excerpt(name) + "' (" + role +
              ") only once in the header, but it is also column " + std::to_string(found + 1));
    }
    found = i;
  }
  if (found == header_names_.size()) {
    throw DataError({table_.source_name, header_line_, 0, ""}, "",
                    "expected a column '" + Excerpt(name) + "' (" + role +
                        ") in the header; found: " + JoinForMessage(header_names_));
  }
  return found;
}

void TableBuilder::CheckFieldCount(const CsvRecord& record) const {
  const std::size_t expected = header_names_.size();
  const std::size_t found = record.fields.size();
  if (found == expected) return;
  const std::string message = "expected " + std::to_string(expected) +
                              " fields as in the header, found " + std::to_string(found);
  if (found > expected) {
    throw DataError({table_.source_name, record.line, static_cast<std::int64_t>(expected) + 1, ""},
                    Excerpt(record.fields[expected]), message);
  }
  throw DataError(At(record, found), "", message);
}

void TableBuilder::Add(const CsvRecord& record) {
  CheckFieldCount(record);
  const std::vector<FeatureSpec>& features = schema_.features();
  for (std::size_t f = 0; f < features.size(); ++f) {
    const FeatureSpec& spec = features[f];
    const std::size_t field = feature_fields_[f];
    ParsedColumn* column = &table_.columns[f];
    switch (spec.type) {
      case FeatureType::kNumeric:
        AddNumeric(spec, record, field, column);
        break;
      case FeatureType::kCategorical:
        AddCategorical(spec, vocabularies_[f], record, field, column);
        break;
      case FeatureType::kBoolean:
        AddBoolean(spec, record, field, column);
        break;
      case FeatureType::kText:
        for (const auto& [bucket, count] : HashedTokenCounts(record.fields[field], spec.buckets)) {
          column->text.bucket.push_back(bucket);
          column->text.count.push_back(count);
        }
        column->text.row_start.push_back(static_cast<std::int64_t>(column->text.bucket.size()));
        break;
    }
  }
  AddLabel(record);
}

void TableBuilder::AddNumeric(const FeatureSpec& spec, const CsvRecord& record, std::size_t field,
                              ParsedColumn* column) const {
  const std::string_view cell = TrimCell(record.fields[field]);
  if (cell.empty()) {
    if (spec.missing == MissingPolicy::kError) {
      throw DataError(At(record, field), "",
                      "expected a number; the cell is empty and this feature has "
                      "missing: error");
    }
    column->numbers.push_back(std::numeric_limits<double>::quiet_NaN());
    return;
  }
  const std::optional<double> value = ParseNumber(cell);
  if (!value) throw DataError(At(record, field), Excerpt(cell), "expected a number");
  if (spec.transform == Transform::kLog1p) {
    if (!(*value > -1.0)) {
      throw DataError(At(record, field), Excerpt(cell),
                      "expected a number greater than -1 (this feature has transform: log1p)");
    }
    column->numbers.push_back(std::log1p(*value));
    return;
  }
  column->numbers.push_back(*value);
}

void TableBuilder::AddCategorical(const FeatureSpec& spec, const Lookup& lookup,
                                  const CsvRecord& record, std::size_t field,
                                  ParsedColumn* column) const {
  const std::string_view cell = TrimCell(record.fields[field]);
  const auto it = lookup.find(cell);
  if (it != lookup.end()) {
    column->categories.push_back(it->second);
    return;
  }
  if (spec.unknown == UnknownPolicy::kError) {
    std::string expected = "expected one of " + JoinForMessage(spec.vocabulary);
    if (cell.empty()) expected += "; the cell is empty and this feature has unknown: error";
    throw DataError(At(record, field), Excerpt(cell), expected);
  }
  column->categories.push_back(static_cast<std::int32_t>(spec.vocabulary.size()));
}

void TableBuilder::AddBoolean(const FeatureSpec& spec, const CsvRecord& record, std::size_t field,
                              ParsedColumn* column) const {
  const std::string_view cell = TrimCell(record.fields[field]);
  if (cell.empty()) {
    if (spec.missing == MissingPolicy::kError) {
      throw DataError(At(record, field), "",
                      "expected a boolean (true, false, yes, no, 1 or 0); the cell is empty "
                      "and this feature has missing: error");
    }
    column->booleans.push_back(0);
    return;
  }
  const std::optional<bool> value = ParseBoolean(cell);
  if (!value) {
    throw DataError(At(record, field), Excerpt(cell),
                    "expected a boolean: true, false, yes, no, 1 or 0");
  }
  column->booleans.push_back(*value ? 1 : 0);
}

void TableBuilder::AddLabel(const CsvRecord& record) {
  const std::string_view cell = TrimCell(record.fields[label_field_]);
  const auto it = label_classes_.find(cell);
  if (it == label_classes_.end()) {
    throw DataError(At(record, label_field_), Excerpt(cell),
                    "expected one of " + JoinForMessage(schema_.label().classes) +
                        " (the classes of label '" + Excerpt(schema_.label().name) + "')");
  }
  table_.labels.push_back(it->second);
}

}  // namespace

FeatureStatistics ParsedTable::Statistics() const {
  std::vector<std::string> names;
  for (const ParsedColumn& column : columns) {
    if (column.type == FeatureType::kNumeric) names.push_back(column.name);
  }
  FeatureStatistics stats(std::move(names));
  Eigen::Index index = 0;
  for (const ParsedColumn& column : columns) {
    if (column.type != FeatureType::kNumeric) continue;
    for (double value : column.numbers) {
      if (!std::isnan(value)) stats.Add(index, value);
    }
    ++index;
  }
  return stats;
}

namespace {

// Appends row `r` of `from` to `to`; only the member matching the type is used.
void AppendRow(const ParsedColumn& from, std::int64_t r, ParsedColumn* to) {
  const auto i = static_cast<std::size_t>(r);
  switch (from.type) {
    case FeatureType::kNumeric:
      to->numbers.push_back(from.numbers[i]);
      break;
    case FeatureType::kCategorical:
      to->categories.push_back(from.categories[i]);
      break;
    case FeatureType::kBoolean:
      to->booleans.push_back(from.booleans[i]);
      break;
    case FeatureType::kText: {
      const auto begin = static_cast<std::size_t>(from.text.row_start[i]);
      const auto end = static_cast<std::size_t>(from.text.row_start[i + 1]);
      to->text.bucket.insert(to->text.bucket.end(), from.text.bucket.begin() + begin,
                             from.text.bucket.begin() + end);
      to->text.count.insert(to->text.count.end(), from.text.count.begin() + begin,
                            from.text.count.begin() + end);
      to->text.row_start.push_back(static_cast<std::int64_t>(to->text.bucket.size()));
      break;
    }
  }
}

}  // namespace

ParsedTable ParsedTable::Subset(const std::vector<std::int64_t>& rows) const {
  ParsedTable out;
  out.source_name = source_name;
  for (const ParsedColumn& column : columns) {
    ParsedColumn& copy = out.columns.emplace_back();
    copy.name = column.name;
    copy.type = column.type;
  }
  for (std::int64_t r : rows) {
    assert(r >= 0 && r < this->rows());
    for (std::size_t c = 0; c < columns.size(); ++c) AppendRow(columns[c], r, &out.columns[c]);
    out.labels.push_back(labels[static_cast<std::size_t>(r)]);
  }
  return out;
}

ParsedTable ReadTable(std::istream& in, const std::string& source_name,
                      const FeatureSchema& schema) {
  CsvReader reader(in, source_name);
  CsvRecord record;
  if (!reader.Next(&record)) {
    throw DataError({source_name, 1, 0, ""}, "", "expected a header row");
  }
  TableBuilder builder(schema, source_name, record);
  while (reader.Next(&record)) builder.Add(record);
  return builder.Finish();
}

ParsedTable ReadTableFile(const std::string& path, const FeatureSchema& schema) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path, "is a directory; expected a CSV file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path, std::string("cannot open the CSV file: ") + std::strerror(errno));
  }
  return ReadTable(in, path, schema);
}

}  // namespace fedcrm::data
