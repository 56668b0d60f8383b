#include "cli/flags.h"

#include <charconv>
#include <cmath>

#include "core/common/error.h"

namespace fedcrm::cli {
namespace {

ConfigError FlagError(const std::string& name, const std::string& problem) {
  return ConfigError("flag --" + name, problem);
}

}  // namespace

Flags::Flags(std::set<std::string> value_flags, std::set<std::string> bool_flags)
    : value_flags_(std::move(value_flags)), bool_flags_(std::move(bool_flags)) {}

void Flags::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (bool_flags_.count(name)) {
      if (inline_value) throw FlagError(name, "takes no value");
      values_.emplace(name, "true");
    } else if (value_flags_.count(name)) {
      if (inline_value) {
        values_.emplace(name, *inline_value);
      } else if (i + 1 < args.size()) {
        values_.emplace(name, args[++i]);
      } else {
        throw FlagError(name, "needs a value");
      }
    } else {
      throw FlagError(name, "unknown flag (see --help)");
    }
  }
}

bool Flags::Has(const std::string& name) const { return values_.count(name) > 0; }

std::string Flags::String(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw FlagError(name, "is required");
  return it->second;
}

std::string Flags::String(const std::string& name, const std::string& fallback) const {
  return Has(name) ? String(name) : fallback;
}

double Flags::Double(const std::string& name) const {
  const std::string text = String(name);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    throw FlagError(name, "expected a number, got '" + text + "'");
  }
  return value;
}

double Flags::Double(const std::string& name, double fallback) const {
  return Has(name) ? Double(name) : fallback;
}

int64_t Flags::Int(const std::string& name) const {
  const std::string text = String(name);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw FlagError(name, "expected an integer, got '" + text + "'");
  }
  return value;
}

int64_t Flags::Int(const std::string& name, int64_t fallback) const {
  return Has(name) ? Int(name) : fallback;
}

std::vector<std::string> Flags::All(const std::string& name) const {
  std::vector<std::string> out;
  auto [first, last] = values_.equal_range(name);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

}  // namespace fedcrm::cli
