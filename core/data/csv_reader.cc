#include "core/data/csv_reader.h"

#include <utility>

#include "core/common/error.h"
#include "core/data/excerpt.h"

namespace fedcrm::data {
namespace {

constexpr unsigned char kBom[] = {0xEF, 0xBB, 0xBF};

}  // namespace

CsvReader::CsvReader(std::istream& in, std::string source_name, CsvLimits limits)
    : buf_(in.rdbuf()), source_name_(std::move(source_name)), limits_(limits) {}

int CsvReader::Peek() {
  if (pending_pos_ < pending_.size()) {
    return static_cast<unsigned char>(pending_[pending_pos_]);
  }
  if (buf_ == nullptr) return kEnd;
  const auto c = buf_->sgetc();
  return c == std::char_traits<char>::eof() ? kEnd : static_cast<unsigned char>(c);
}

int CsvReader::Get() {
  if (pending_pos_ < pending_.size()) {
    return static_cast<unsigned char>(pending_[pending_pos_++]);
  }
  if (buf_ == nullptr) return kEnd;
  const auto c = buf_->sbumpc();
  return c == std::char_traits<char>::eof() ? kEnd : static_cast<unsigned char>(c);
}

void CsvReader::SkipByteOrderMark() {
  // A streambuf cannot portably put back more than one byte, so a partial
  // match is kept in pending_ and replayed as data.
  if (buf_ == nullptr) return;
  for (unsigned char expected : kBom) {
    if (buf_->sgetc() != expected) return;
    pending_ += static_cast<char>(buf_->sbumpc());
  }
  pending_.clear();
}

void CsvReader::FinishLineBreak(int c) {
  if (c == '\r' && Peek() == '\n') Get();
  ++line_;
}

bool CsvReader::Next(CsvRecord* record) {
  record->fields.clear();
  record->line = 0;
  if (!started_) {
    started_ = true;
    SkipByteOrderMark();
  }
  for (int c = Peek(); c == '\n' || c == '\r'; c = Peek()) {
    FinishLineBreak(Get());
  }
  if (Peek() == kEnd) return false;

  record->line = line_;
  std::size_t record_bytes = 0;
  for (;;) {
    std::string& field = record->fields.emplace_back();
    const auto column = static_cast<std::int64_t>(record->fields.size());
    // The separator before this field counts, so empty fields are bounded.
    if (++record_bytes > limits_.max_record_bytes) {
      throw DataError(
          {source_name_, record->line, column, ""}, "",
          "expected a record of at most " + std::to_string(limits_.max_record_bytes) + " bytes");
    }
    if (Peek() == '"') {
      ReadQuoted(&field, column, &record_bytes);
    } else {
      ReadUnquoted(&field, column, &record_bytes);
    }
    const int c = Get();
    if (c == ',') continue;
    if (c == '\n' || c == '\r') FinishLineBreak(c);
    return true;  // A line break or the end of the input ends the record.
  }
}

void CsvReader::ReadUnquoted(std::string* field, std::int64_t column, std::size_t* record_bytes) {
  for (int c = Peek(); c != ',' && c != '\n' && c != '\r' && c != kEnd; c = Peek()) {
    Append(field, static_cast<char>(Get()), line_, column, record_bytes);
  }
}

void CsvReader::ReadQuoted(std::string* field, std::int64_t column, std::size_t* record_bytes) {
  Get();  // The opening quote.
  const std::int64_t open_line = line_;
  for (;;) {
    const int c = Get();
    if (c == kEnd) {
      throw DataError({source_name_, open_line, column, ""}, Excerpt(*field, 32),
                      "expected a closing quote for the field opened on line " +
                          std::to_string(open_line) + " before the end of the input");
    }
    if (c == '"') {
      if (Peek() == '"') {
        Get();
        Append(field, '"', open_line, column, record_bytes);
        continue;
      }
      const int next = Peek();
      if (next == ',' || next == '\n' || next == '\r' || next == kEnd) return;
      throw DataError({source_name_, line_, column, ""},
                      Excerpt(std::string(1, static_cast<char>(next))),
                      "expected ',' or a line break after the closing quote of a quoted "
                      "field (a quote inside a quoted field is written twice: \"\")");
    }
    Append(field, static_cast<char>(c), open_line, column, record_bytes);
    if (c == '\n' || (c == '\r' && Peek() != '\n')) ++line_;
  }
}

void CsvReader::Append(std::string* field, char c, std::int64_t field_line, std::int64_t column,
                       std::size_t* record_bytes) {
  if (field->size() >= limits_.max_field_bytes) {
    throw DataError({source_name_, field_line, column, ""}, Excerpt(*field, 32),
                    "expected a field of at most " + std::to_string(limits_.max_field_bytes) +
                        " bytes (is a closing quote missing?)");
  }
  if (++*record_bytes > limits_.max_record_bytes) {
    throw DataError(
        {source_name_, field_line, column, ""}, "",
        "expected a record of at most " + std::to_string(limits_.max_record_bytes) + " bytes");
  }
  field->push_back(c);
}

}  // namespace fedcrm::data
