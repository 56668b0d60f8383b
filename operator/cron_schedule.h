// A cron schedule, as FederatedModel.spec.schedule gives it: five fields
// (minute hour day-of-month month day-of-week) or a macro such as @daily,
// always in UTC. The syntax is Vixie cron's, as Kubernetes CronJobs read it:
// `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n` (a to the
// field's end), lists `a,b`, JAN-DEC and SUN-SAT in any case, and 7 for
// Sunday. When both day fields are restricted a day matches if EITHER does;
// a field counts as unrestricted only when it is `*` (or `*/1`), so `*/2`
// restricts, as in Kubernetes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace fedcrm::op {

class CronSchedule {
 public:
  // Throws ConfigError at "spec.schedule" naming the field and what was
  // expected, e.g. "minute field '61' is out of 0-59".
  static CronSchedule Parse(const std::string& text);

  // The first whole minute that matches strictly after `after`. Throws
  // ConfigError when no minute within ten years matches: then none ever
  // does, since every month and day-of-month pair (February 29 included)
  // recurs within eight years.
  std::chrono::system_clock::time_point Next(std::chrono::system_clock::time_point after) const;

  // The schedule as written.
  const std::string& text() const { return text_; }

 private:
  CronSchedule() = default;

  bool DayMatches(std::chrono::sys_days day) const;

  std::string text_;
  // Bit i set: value i matches.
  uint64_t minutes_ = 0;      // 0-59
  uint32_t hours_ = 0;        // 0-23
  uint32_t days_ = 0;         // 1-31
  uint32_t months_ = 0;       // 1-12
  uint32_t weekdays_ = 0;     // 0-6, 0 Sunday
  bool any_day_ = false;      // day-of-month is `*`
  bool any_weekday_ = false;  // day-of-week is `*`
};

}  // namespace fedcrm::op
