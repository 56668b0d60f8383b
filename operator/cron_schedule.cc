#include "operator/cron_schedule.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <climits>
#include <optional>
#include <string_view>
#include <vector>

#include "core/common/error.h"

namespace fedcrm::op {
namespace {

using Clock = std::chrono::system_clock;

constexpr char kWhere[] = "spec.schedule";

// Ten years of days: more than the eight-year gap between two February 29ths
// (2096 to 2104), so a schedule that fires at all fires within it.
constexpr std::chrono::days kHorizon{3653};

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
  const char* name;
  int min;
  int max;
  // Names for values first_named, first_named + 1, ...; none when empty.
  const char* const* names = nullptr;
  int name_count = 0;
  int first_named = 0;
  const char* names_hint = "";
};

constexpr FieldSpec kMinute{"minute", 0, 59};
constexpr FieldSpec kHour{"hour", 0, 23};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames.data(), 12, 1, " or a month name (JAN-DEC)"};
// 7 is Sunday too; folded onto 0 after parsing.
constexpr FieldSpec kDayOfWeek{
    "day-of-week", 0, 7, kDayNames.data(), 7, 0, " or a day name (SUN-SAT)"};

struct Macro {
  const char* name;
  const char* fields;
};

constexpr std::array<Macro, 7> kMacros = {{{"@yearly", "0 0 1 1 *"},
                                           {"@annually", "0 0 1 1 *"},
                                           {"@monthly", "0 0 1 * *"},
                                           {"@weekly", "0 0 * * 0"},
                                           {"@daily", "0 0 * * *"},
                                           {"@midnight", "0 0 * * *"},
                                           {"@hourly", "0 * * * *"}}};

ConfigError FieldError(const FieldSpec& field, std::string_view item, std::string_view token,
                       const std::string& problem) {
  std::string message = std::string(field.name) + " field '" + std::string(item) + "'";
  // An empty token ("-1" splits into "" and "1") says less than its item.
  if (!token.empty() && token != item) message += ": '" + std::string(token) + "'";
  return ConfigError(kWhere, message + " " + problem);
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    out.push_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return out;
    begin = end + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > begin) out.push_back(text.substr(begin, i - begin));
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// A whole number written in decimal digits only; nullopt for anything else,
// INT_MAX for one too large for an int (it is out of every field's range).
std::optional<int> ParseNumber(std::string_view token) {
  if (token.empty() ||
      !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int value = 0;
  const std::errc error = std::from_chars(token.data(), token.data() + token.size(), value).ec;
  return error == std::errc::result_out_of_range ? INT_MAX : value;
}

// A number or a name of `field`, within its bounds.
int ParseValue(const FieldSpec& field, std::string_view item, std::string_view token) {
  for (int i = 0; i < field.name_count; ++i) {
    if (EqualsIgnoreCase(token, field.names[i])) return field.first_named + i;
  }
  const std::optional<int> value = ParseNumber(token);
  if (!value)
    throw FieldError(field, item, token, std::string("is not a number") + field.names_hint);
  if (*value < field.min || *value > field.max) {
    throw FieldError(field, item, token,
                     "is out of " + std::to_string(field.min) + "-" + std::to_string(field.max));
  }
  return *value;
}

int ParseStep(const FieldSpec& field, std::string_view item, std::string_view token) {
  const std::optional<int> step = ParseNumber(token);
  if (!step) throw FieldError(field, item, token, "is not a step; expected a number after '/'");
  if (*step < 1 || *step > field.max) {
    throw FieldError(field, item, token, "is not a step in 1-" + std::to_string(field.max));
  }
  return *step;
}

struct ParsedField {
  uint64_t bits = 0;
  bool any = false;  // `*` or `*/1`
};

// One list item: `*`, `a`, `a-b`, each optionally followed by `/step`.
void ParseItem(const FieldSpec& field, std::string_view item, ParsedField& out) {
  const std::vector<std::string_view> parts = Split(item, '/');
  if (parts.size() > 2) throw FieldError(field, item, item, "has more than one '/'");
  const std::string_view range = parts[0];
  const bool stepped = parts.size() == 2;
  const int step = stepped ? ParseStep(field, item, parts[1]) : 1;
  int first = field.min;
  int last = field.max;
  if (range == "*") {
    out.any = out.any || step == 1;
  } else if (const size_t dash = range.find('-'); dash != std::string_view::npos) {
    first = ParseValue(field, item, range.substr(0, dash));
    last = ParseValue(field, item, range.substr(dash + 1));
    if (first > last) {
      throw FieldError(field, item, item, "is a range whose start is after its end");
    }
  } else {
    first = ParseValue(field, item, range);
    // `a/n` runs from a to the field's end, as in Kubernetes CronJobs.
    last = stepped ? field.max : first;
  }
  for (int v = first; v <= last; v += step) out.bits |= uint64_t{1} << v;
}

ParsedField ParseField(const FieldSpec& field, std::string_view text) {
  ParsedField out;
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) throw FieldError(field, text, text, "has an empty list item");
    ParseItem(field, item, out);
  }
  return out;
}

// The smallest set bit of `bits` at `from` or above, or -1.
int NextBit(uint64_t bits, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = bits >> from;
  return rest == 0 ? -1 : from + std::countr_zero(rest);
}

bool Has(uint64_t bits, unsigned value) { return (bits >> value) & 1; }

std::string MacroList() {
  std::string out;
  for (const Macro& macro : kMacros) out += (out.empty() ? "" : ", ") + std::string(macro.name);
  return out;
}

}  // namespace

CronSchedule CronSchedule::Parse(const std::string& text) {
  std::vector<std::string_view> fields = SplitWhitespace(text);
  if (fields.size() == 1 && fields[0].starts_with('@')) {
    const auto macro = std::find_if(kMacros.begin(), kMacros.end(),
                                    [&](const Macro& m) { return fields[0] == m.name; });
    if (macro == kMacros.end()) {
      throw ConfigError(
          kWhere, "unknown macro '" + std::string(fields[0]) + "'; expected one of " + MacroList());
    }
    CronSchedule out = Parse(macro->fields);
    out.text_ = text;
    return out;
  }
  if (fields.size() != 5) {
    throw ConfigError(kWhere, "'" + text + "' has " + std::to_string(fields.size()) +
                                  " fields; expected five (minute hour day-of-month month "
                                  "day-of-week) or a macro such as @daily");
  }
  CronSchedule out;
  out.text_ = text;
  out.minutes_ = ParseField(kMinute, fields[0]).bits;
  out.hours_ = static_cast<uint32_t>(ParseField(kHour, fields[1]).bits);
  const ParsedField days = ParseField(kDayOfMonth, fields[2]);
  out.days_ = static_cast<uint32_t>(days.bits);
  out.any_day_ = days.any;
  out.months_ = static_cast<uint32_t>(ParseField(kMonth, fields[3]).bits);
  const ParsedField weekdays = ParseField(kDayOfWeek, fields[4]);
  // Sunday is both 0 and 7.
  out.weekdays_ = static_cast<uint32_t>((weekdays.bits | (weekdays.bits >> 7)) & 0x7f);
  out.any_weekday_ = weekdays.any;
  return out;
}

bool CronSchedule::DayMatches(std::chrono::sys_days day) const {
  const std::chrono::year_month_day date{day};
  const bool day_of_month = Has(days_, static_cast<unsigned>(date.day()));
  const bool day_of_week = Has(weekdays_, std::chrono::weekday{day}.c_encoding());
  // Vixie cron: two restricted day fields widen the schedule, not narrow it.
  if (any_day_ || any_weekday_) return day_of_month && day_of_week;
  return day_of_month || day_of_week;
}

Clock::time_point CronSchedule::Next(Clock::time_point after) const {
  using std::chrono::days;
  using std::chrono::hours;
  using std::chrono::minutes;
  const std::chrono::sys_time<minutes> start = std::chrono::floor<minutes>(after) + minutes{1};
  std::chrono::sys_days day = std::chrono::floor<days>(start);
  int hour = static_cast<int>(std::chrono::floor<hours>(start - day).count());
  int minute = static_cast<int>((start - day - hours{hour}).count());
  const std::chrono::sys_days last_day = day + kHorizon;
  auto next_day = [&](std::chrono::sys_days to) {
    day = to;
    hour = 0;
    minute = 0;
  };
  while (day <= last_day) {
    const std::chrono::year_month_day date{day};
    if (!Has(months_, static_cast<unsigned>(date.month()))) {
      const std::chrono::year_month first{date.year(), date.month()};
      next_day(std::chrono::sys_days{(first + std::chrono::months{1}) / 1});
      continue;
    }
    if (!DayMatches(day)) {
      next_day(day + days{1});
      continue;
    }
    const int h = NextBit(hours_, hour);
    if (h < 0) {
      next_day(day + days{1});
      continue;
    }
    if (h != hour) minute = 0;
    const int m = NextBit(minutes_, minute);
    if (m < 0) {
      hour = h + 1;
      minute = 0;
      continue;
    }
    return day + hours{h} + minutes{m};
  }
  throw ConfigError(kWhere, "'" + text_ +
                                "' never fires: no day in ten years matches its day-of-month, "
                                "month and day-of-week fields");
}

}  // namespace fedcrm::op
