// A small, strict command-line flag parser for the fedcrm subcommands.
//
// Accepts "--name value" and "--name=value", boolean "--name", and positional
// arguments. Unknown flags, missing values and malformed numbers are
// fedcrm::ConfigError naming the flag, so every subcommand reports bad usage
// the same way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fedcrm::cli {

class Flags {
 public:
  // `value_flags` take a value; `bool_flags` do not. Both without "--".
  Flags(std::set<std::string> value_flags, std::set<std::string> bool_flags);

  // Parses args (without the program and subcommand names).
  void Parse(const std::vector<std::string>& args);

  bool Has(const std::string& name) const;
  bool Bool(const std::string& name) const { return Has(name); }
  std::string String(const std::string& name) const;  // required
  std::string String(const std::string& name, const std::string& fallback) const;
  double Double(const std::string& name) const;  // required
  double Double(const std::string& name, double fallback) const;
  int64_t Int(const std::string& name) const;  // required
  int64_t Int(const std::string& name, int64_t fallback) const;
  // Every value given for a repeatable flag, in order.
  std::vector<std::string> All(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> value_flags_;
  std::set<std::string> bool_flags_;
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace fedcrm::cli
