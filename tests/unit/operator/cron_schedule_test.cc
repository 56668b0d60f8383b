// CronSchedule: every piece of the five-field syntax and the macros, the
// errors a user sees, calendar edges (month ends, leap years, year ends),
// Vixie cron's day-of-month OR day-of-week rule, and a schedule that never
// fires. Times are UTC; March 2026 starts on a Sunday.
#include "operator/cron_schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/common/error.h"
#include "kube/conditions.h"

namespace fedcrm::op {
namespace {

using Clock = std::chrono::system_clock;

// "2026-03-01T10:07:30Z" as a time point.
Clock::time_point At(const std::string& text) {
  const auto time = kube::ParseRfc3339(text);
  EXPECT_TRUE(time.has_value()) << text;
  return time.value_or(std::chrono::system_clock::time_point{});
}

// The schedule's first tick strictly after `after`, as RFC 3339.
std::string Next(const std::string& schedule, const std::string& after) {
  return kube::FormatRfc3339(CronSchedule::Parse(schedule).Next(At(after)));
}

// The first `n` ticks after `after`.
std::vector<std::string> Ticks(const std::string& schedule, const std::string& after, int n) {
  const CronSchedule cron = CronSchedule::Parse(schedule);
  std::vector<std::string> out;
  Clock::time_point t = At(after);
  for (int i = 0; i < n; ++i) {
    t = cron.Next(t);
    out.push_back(kube::FormatRfc3339(t));
  }
  return out;
}

// The message Parse throws for `schedule`, or "<parsed>".
std::string ParseError(const std::string& schedule) {
  try {
    CronSchedule::Parse(schedule);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<parsed>";
}

using Strings = std::vector<std::string>;

TEST(CronScheduleTest, EveryMinuteIsStrictlyAfter) {
  EXPECT_EQ(Next("* * * * *", "2026-03-01T10:07:30Z"), "2026-03-01T10:08:00Z");
  EXPECT_EQ(Next("* * * * *", "2026-03-01T10:08:00Z"), "2026-03-01T10:09:00Z");
  EXPECT_EQ(Next("* * * * *", "2026-03-01T23:59:59Z"), "2026-03-02T00:00:00Z");
}

TEST(CronScheduleTest, FixedMinuteAndHour) {
  EXPECT_EQ(Next("30 2 * * *", "2026-03-01T01:00:00Z"), "2026-03-01T02:30:00Z");
  EXPECT_EQ(Next("30 2 * * *", "2026-03-01T02:30:00Z"), "2026-03-02T02:30:00Z");
  EXPECT_EQ(Next("30 2 * * *", "2026-03-01T02:45:00Z"), "2026-03-02T02:30:00Z");
  // A later hour starts at its first minute, not at the current one.
  EXPECT_EQ(Next("15 4,6 * * *", "2026-03-01T04:40:00Z"), "2026-03-01T06:15:00Z");
}

TEST(CronScheduleTest, RangesStepsAndLists) {
  EXPECT_EQ(Ticks("*/15 * * * *", "2026-03-01T10:07:00Z", 3),
            (Strings{"2026-03-01T10:15:00Z", "2026-03-01T10:30:00Z", "2026-03-01T10:45:00Z"}));
  EXPECT_EQ(Ticks("10-20/5 * * * *", "2026-03-01T10:16:00Z", 3),
            (Strings{"2026-03-01T10:20:00Z", "2026-03-01T11:10:00Z", "2026-03-01T11:15:00Z"}));
  EXPECT_EQ(Ticks("0 9-11 * * *", "2026-03-01T09:00:00Z", 3),
            (Strings{"2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-02T09:00:00Z"}));
  EXPECT_EQ(Ticks("0 8,12,18 * * *", "2026-03-01T12:00:00Z", 2),
            (Strings{"2026-03-01T18:00:00Z", "2026-03-02T08:00:00Z"}));
  // a/n: from a to the field's end.
  EXPECT_EQ(Ticks("5/20 * * * *", "2026-03-01T10:00:00Z", 4),
            (Strings{"2026-03-01T10:05:00Z", "2026-03-01T10:25:00Z", "2026-03-01T10:45:00Z",
                     "2026-03-01T11:05:00Z"}));
  // Lists mix the forms.
  EXPECT_EQ(Ticks("1,10-11,*/30 * * * *", "2026-03-01T10:00:00Z", 5),
            (Strings{"2026-03-01T10:01:00Z", "2026-03-01T10:10:00Z", "2026-03-01T10:11:00Z",
                     "2026-03-01T10:30:00Z", "2026-03-01T11:00:00Z"}));
}

TEST(CronScheduleTest, StepsOverRangesOfHoursAndDays) {
  EXPECT_EQ(Ticks("0 0-23/6 * * *", "2026-03-01T00:00:00Z", 4),
            (Strings{"2026-03-01T06:00:00Z", "2026-03-01T12:00:00Z", "2026-03-01T18:00:00Z",
                     "2026-03-02T00:00:00Z"}));
  // Monday, Wednesday, Friday.
  EXPECT_EQ(Ticks("0 0 * * 1-5/2", "2026-03-01T00:00:00Z", 4),
            (Strings{"2026-03-02T00:00:00Z", "2026-03-04T00:00:00Z", "2026-03-06T00:00:00Z",
                     "2026-03-09T00:00:00Z"}));
  EXPECT_EQ(Ticks("0 0 1-31/10 * *", "2026-03-01T00:00:00Z", 4),
            (Strings{"2026-03-11T00:00:00Z", "2026-03-21T00:00:00Z", "2026-03-31T00:00:00Z",
                     "2026-04-01T00:00:00Z"}));
}

TEST(CronScheduleTest, MonthAndDayNamesInAnyCase) {
  EXPECT_EQ(Ticks("0 0 1 jan,Jul *", "2026-03-01T00:00:00Z", 2),
            (Strings{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
  EXPECT_EQ(Next("0 0 1 MAR-may *", "2026-03-01T00:00:00Z"), "2026-04-01T00:00:00Z");
  // After Friday's run, the next weekday is Monday.
  EXPECT_EQ(Next("0 9 * * mon-FRI", "2026-03-06T09:00:00Z"), "2026-03-09T09:00:00Z");
  EXPECT_EQ(Next("0 9 * * Sat", "2026-03-01T00:00:00Z"), "2026-03-07T09:00:00Z");
}

TEST(CronScheduleTest, SevenIsSunday) {
  EXPECT_EQ(Next("0 0 * * 7", "2026-03-02T00:00:00Z"), "2026-03-08T00:00:00Z");
  EXPECT_EQ(Next("0 0 * * 0", "2026-03-02T00:00:00Z"), "2026-03-08T00:00:00Z");
  EXPECT_EQ(Ticks("0 0 * * 5-7", "2026-03-05T00:00:00Z", 4),
            (Strings{"2026-03-06T00:00:00Z", "2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z",
                     "2026-03-13T00:00:00Z"}));
}

TEST(CronScheduleTest, Macros) {
  const std::string after = "2026-03-01T10:07:00Z";  // a Sunday
  EXPECT_EQ(Next("@hourly", after), "2026-03-01T11:00:00Z");
  EXPECT_EQ(Next("@daily", after), "2026-03-02T00:00:00Z");
  EXPECT_EQ(Next("@midnight", after), "2026-03-02T00:00:00Z");
  EXPECT_EQ(Next("@weekly", after), "2026-03-08T00:00:00Z");
  EXPECT_EQ(Next("@monthly", after), "2026-04-01T00:00:00Z");
  EXPECT_EQ(Next("@yearly", after), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("@annually", after), "2027-01-01T00:00:00Z");
  EXPECT_EQ(CronSchedule::Parse("@daily").text(), "@daily");
  EXPECT_EQ(CronSchedule::Parse("0 2 * * *").text(), "0 2 * * *");
}

TEST(CronScheduleTest, MonthEndsAndYearEnds) {
  // The 31st skips the months without one.
  EXPECT_EQ(Ticks("0 0 31 * *", "2026-01-31T00:00:00Z", 3),
            (Strings{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"}));
  EXPECT_EQ(Next("59 23 31 12 *", "2026-01-01T00:00:00Z"), "2026-12-31T23:59:00Z");
  EXPECT_EQ(Next("0 0 1 1 *", "2026-12-31T23:59:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("*/30 * * * *", "2026-12-31T23:45:00Z"), "2027-01-01T00:00:00Z");
}

TEST(CronScheduleTest, LeapYears) {
  EXPECT_EQ(Next("0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 * 2 *", "2028-02-28T12:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 * 2 *", "2027-02-28T12:00:00Z"), "2028-02-01T00:00:00Z");
  // 2100 is no leap year: the longest wait there is, eight years.
  EXPECT_EQ(Next("0 0 29 2 *", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00Z");
}

TEST(CronScheduleTest, BothDayFieldsRestrictedMatchEither) {
  // The 10th or any Friday: Tuesday the 10th, then Friday the 13th.
  EXPECT_EQ(Ticks("0 0 10 * FRI", "2026-03-06T00:00:00Z", 3),
            (Strings{"2026-03-10T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z"}));
  // With either field `*`, the other alone decides.
  EXPECT_EQ(Next("0 0 10 * *", "2026-03-10T00:00:00Z"), "2026-04-10T00:00:00Z");
  EXPECT_EQ(Next("0 0 * * FRI", "2026-03-06T00:00:00Z"), "2026-03-13T00:00:00Z");
  // A stepped `*` is a restriction: odd days or Mondays, not odd Mondays.
  EXPECT_EQ(Ticks("0 0 */2 * MON", "2026-03-01T00:00:00Z", 3),
            (Strings{"2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", "2026-03-05T00:00:00Z"}));
}

TEST(CronScheduleTest, AScheduleThatNeverFiresThrows) {
  for (const char* impossible : {"0 0 30 2 *", "0 0 31 4,6,9,11 *"}) {
    const CronSchedule cron = CronSchedule::Parse(impossible);
    try {
      cron.Next(At("2026-03-01T00:00:00Z"));
      ADD_FAILURE() << impossible << " fired";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.where(), "spec.schedule");
      EXPECT_NE(std::string(e.what()).find("never fires"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(impossible), std::string::npos) << e.what();
    }
  }
  // A day-of-week widens an impossible day-of-month.
  EXPECT_EQ(Next("0 0 30 2 MON", "2026-03-01T00:00:00Z"), "2027-02-01T00:00:00Z");
}

TEST(CronScheduleTest, OutOfRangeValuesNameTheField) {
  EXPECT_EQ(ParseError("61 * * * *"), "spec.schedule: minute field '61' is out of 0-59");
  EXPECT_EQ(ParseError("0 24 * * *"), "spec.schedule: hour field '24' is out of 0-23");
  EXPECT_EQ(ParseError("0 0 0 * *"), "spec.schedule: day-of-month field '0' is out of 1-31");
  EXPECT_EQ(ParseError("0 0 32 * *"), "spec.schedule: day-of-month field '32' is out of 1-31");
  EXPECT_EQ(ParseError("0 0 * 13 *"), "spec.schedule: month field '13' is out of 1-12");
  EXPECT_EQ(ParseError("0 0 * * 8"), "spec.schedule: day-of-week field '8' is out of 0-7");
  EXPECT_EQ(ParseError("1-61 * * * *"), "spec.schedule: minute field '1-61': '61' is out of 0-59");
  EXPECT_EQ(ParseError("99999999999 * * * *"),
            "spec.schedule: minute field '99999999999' is out of 0-59");
}

TEST(CronScheduleTest, MalformedFieldsSayWhatWasExpected) {
  EXPECT_EQ(ParseError("x * * * *"), "spec.schedule: minute field 'x' is not a number");
  EXPECT_EQ(ParseError("0 0 * FOO *"),
            "spec.schedule: month field 'FOO' is not a number or a month name (JAN-DEC)");
  EXPECT_EQ(ParseError("0 0 * * MONDAY"),
            "spec.schedule: day-of-week field 'MONDAY' is not a number or a day name (SUN-SAT)");
  // Names belong to their own field.
  EXPECT_EQ(ParseError("0 0 * MON *"),
            "spec.schedule: month field 'MON' is not a number or a month name (JAN-DEC)");
  EXPECT_EQ(ParseError("0 0 * * JAN"),
            "spec.schedule: day-of-week field 'JAN' is not a number or a day name (SUN-SAT)");
  EXPECT_EQ(ParseError("0 5-2 * * *"),
            "spec.schedule: hour field '5-2' is a range whose start is after its end");
  EXPECT_EQ(ParseError("0 0 * * FRI-MON"),
            "spec.schedule: day-of-week field 'FRI-MON' is a range whose start is after its end");
  EXPECT_EQ(ParseError("*/0 * * * *"),
            "spec.schedule: minute field '*/0': '0' is not a step in 1-59");
  EXPECT_EQ(ParseError("*/x * * * *"),
            "spec.schedule: minute field '*/x': 'x' is not a step; expected a number after '/'");
  EXPECT_EQ(ParseError("*/2/3 * * * *"),
            "spec.schedule: minute field '*/2/3' has more than one '/'");
  EXPECT_EQ(ParseError("0 1,,2 * * *"), "spec.schedule: hour field '1,,2' has an empty list item");
  EXPECT_EQ(ParseError("0 1, * * *"), "spec.schedule: hour field '1,' has an empty list item");
  EXPECT_EQ(ParseError("-1 * * * *"), "spec.schedule: minute field '-1' is not a number");
}

TEST(CronScheduleTest, WrongShapesAndUnknownMacros) {
  EXPECT_EQ(ParseError("* * * *"),
            "spec.schedule: '* * * *' has 4 fields; expected five (minute hour day-of-month month "
            "day-of-week) or a macro such as @daily");
  EXPECT_NE(ParseError("* * * * * *").find("has 6 fields"), std::string::npos);
  EXPECT_NE(ParseError("").find("has 0 fields"), std::string::npos);
  EXPECT_EQ(ParseError("@reboot"),
            "spec.schedule: unknown macro '@reboot'; expected one of @yearly, @annually, "
            "@monthly, @weekly, @daily, @midnight, @hourly");
  EXPECT_NE(ParseError("@daily 0").find("has 2 fields"), std::string::npos);
  // Runs of blanks separate fields as one.
  EXPECT_EQ(ParseError(" 0  2 * *\t* "), "<parsed>");
}

}  // namespace
}  // namespace fedcrm::op
