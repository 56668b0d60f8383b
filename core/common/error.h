// Errors a user can cause: bad input files, bad configuration, bad requests.
//
// fedcrm reports such errors as exceptions derived from fedcrm::Error. Each
// message names the input, the place in it and what was expected, so that the
// message alone is enough to fix the input. Programming errors (broken
// invariants) are not Errors; they are asserts.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fedcrm {

// Base class of every error a user can cause and fix.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Invalid configuration: a YAML/JSON document, a flag, a schema.
// `where` is a path such as "examples/churn.yaml: spec.privacy.noiseMultiplier".
class ConfigError : public Error {
 public:
  ConfigError(const std::string& where, const std::string& problem)
      : Error(where + ": " + problem), where_(where), problem_(problem) {}
  const std::string& where() const { return where_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string where_;
  std::string problem_;
};

// A malformed or invalid record in a data file. Carries the position so tests
// and callers can inspect it; what() reads
//   "data/eu.csv:17:4 (column 'plan'): value 'platinum': expected one of basic, pro"
class DataError : public Error {
 public:
  struct Position {
    std::string file;         // path or a label such as "<memory>"
    std::int64_t line = 0;    // 1-based physical line where the record starts
    std::int64_t column = 0;  // 1-based field index; 0 when not about a field
    std::string column_name;  // header name of that field, when known
  };

  DataError(Position position, std::string value, std::string expected)
      : Error(Format(position, value, expected)),
        position_(std::move(position)),
        value_(std::move(value)),
        expected_(std::move(expected)) {}

  const Position& position() const { return position_; }
  const std::string& value() const { return value_; }
  const std::string& expected() const { return expected_; }

 private:
  static std::string Format(const Position& p, const std::string& value,
                            const std::string& expected) {
    // Built with append(): GCC 12 warns falsely (-Wrestrict) on chains of
    // std::string operator+ with literals, and CI builds with -Werror.
    std::string out = p.file;
    out.append(":").append(std::to_string(p.line));
    if (p.column > 0) out.append(":").append(std::to_string(p.column));
    if (!p.column_name.empty()) out.append(" (column '").append(p.column_name).append("')");
    out.append(": ");
    if (!value.empty()) out.append("value '").append(value).append("': ");
    out.append(expected);
    return out;
  }

  Position position_;
  std::string value_;
  std::string expected_;
};

}  // namespace fedcrm
