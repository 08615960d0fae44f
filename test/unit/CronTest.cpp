//===- CronTest.cpp - cron parsing and impossible dates -------------------===//
#include "ir/Cron.h"

#include <chrono>
#include <cstdlib>

#include <gtest/gtest.h>

using namespace connectorc;

TEST(Cron, ParsesFields) {
  CronError Err;
  std::optional<CronSchedule> S = parseCron("*/15 3 1-5 jan,Jul mon-fri", Err);
  ASSERT_TRUE(S) << Err.Message;
  EXPECT_TRUE(S->Minutes[0] && S->Minutes[15] && S->Minutes[45]);
  EXPECT_FALSE(S->Minutes[1]);
  EXPECT_TRUE(S->Hours[3]);
  EXPECT_EQ(S->Hours.count(), 1u);
  EXPECT_EQ(S->Days.count(), 5u);
  EXPECT_TRUE(S->Months[1] && S->Months[7]);
  EXPECT_EQ(S->Weekdays.count(), 5u);
  EXPECT_FALSE(S->Weekdays[0]);
}

TEST(Cron, SundayIsZeroOrSeven) {
  CronError Err;
  std::optional<CronSchedule> S = parseCron("0 0 * * 7", Err);
  ASSERT_TRUE(S);
  EXPECT_TRUE(S->Weekdays[0]);
}

TEST(Cron, ReportsBadFieldWithOffset) {
  CronError Err;
  EXPECT_FALSE(parseCron("0 25 * * *", Err));
  EXPECT_EQ(Err.Offset, 2u);
  EXPECT_EQ(Err.Length, 2u);
  EXPECT_NE(Err.Message.find("out of range"), std::string::npos);
  EXPECT_FALSE(parseCron("0 0 * *", Err));
  EXPECT_NE(Err.Message.find("expected 5 fields"), std::string::npos);
  EXPECT_FALSE(parseCron("0 0 * * 1/0", Err));
  EXPECT_FALSE(parseCron("0 0 5-1 * *", Err));
}

TEST(Cron, ImpossibleDates) {
  CronError Err;
  auto Never = [&](const char *Text) {
    std::optional<CronSchedule> S = parseCron(Text, Err);
    EXPECT_TRUE(S) << Text;
    return whyCronNeverFires(*S);
  };
  EXPECT_EQ(Never("0 0 31 2 *").value_or(""), "February has no day 31");
  EXPECT_EQ(Never("0 0 31 4,6 *").value_or(""), "April, June have no day 31");
  EXPECT_FALSE(Never("0 0 29 2 *"));   // leap years
  EXPECT_FALSE(Never("0 0 31 2 1"));   // either day field matches
  EXPECT_FALSE(Never("0 3 * * *"));
}

TEST(Cron, Macros) {
  CronError Err;
  EXPECT_TRUE(parseCron("@daily", Err));
  EXPECT_FALSE(parseCron("@sometimes", Err));
}

namespace {
/// Unix seconds of a UTC date and time.
std::int64_t utc(int Y, unsigned Mo, unsigned D, int H = 0, int Mi = 0) {
  using namespace std::chrono;
  return duration_cast<seconds>(
             (sys_days(year(Y) / month(Mo) / day(D)) + hours(H) + minutes(Mi))
                 .time_since_epoch())
      .count();
}

CronSchedule cron(llvm::StringRef Text) {
  CronError Err;
  std::optional<CronSchedule> S = parseCron(Text, Err);
  EXPECT_TRUE(S) << Text.str() << ": " << Err.Message;
  return S.value_or(CronSchedule());
}

std::vector<std::int64_t> next(llvm::StringRef Text, std::int64_t After,
                               llvm::StringRef Zone, unsigned N) {
  llvm::Expected<std::vector<std::int64_t>> Times =
      nextFireTimes(cron(Text), After, Zone, N);
  if (!Times) {
    ADD_FAILURE() << llvm::toString(Times.takeError());
    return {};
  }
  return *Times;
}

std::string format(std::int64_t T, llvm::StringRef Zone) {
  llvm::Expected<std::string> S = formatFireTime(T, Zone);
  return S ? *S : "error: " + llvm::toString(S.takeError());
}

using Times = std::vector<std::int64_t>;
} // namespace

TEST(CronFireTimes, DailyInUtcStartsStrictlyAfter) {
  EXPECT_EQ(next("0 3 * * *", utc(2026, 5, 1, 3, 0), "UTC", 3),
            (Times{utc(2026, 5, 2, 3), utc(2026, 5, 3, 3), utc(2026, 5, 4, 3)}));
  EXPECT_EQ(next("0 3 * * *", utc(2026, 5, 1, 2, 59), "UTC", 1),
            (Times{utc(2026, 5, 1, 3)}));
  EXPECT_EQ(next("*/20 * * * *", utc(2026, 12, 31, 23, 30), "UTC", 3),
            (Times{utc(2026, 12, 31, 23, 40), utc(2027, 1, 1, 0, 0),
                   utc(2027, 1, 1, 0, 20)}));
  EXPECT_TRUE(next("0 3 * * *", 0, "UTC", 0).empty());
}

TEST(CronFireTimes, BerlinSpringForwardSkipsTheMissingHour) {
  // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day.
  EXPECT_EQ(next("30 2 * * *", utc(2026, 3, 27, 12), "Europe/Berlin", 3),
            (Times{utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30),
                   utc(2026, 3, 31, 0, 30)}));
  // 03:00 exists (it is the first minute of CEST).
  EXPECT_EQ(next("0 3 29 3 *", utc(2026, 3, 1), "Europe/Berlin", 1),
            (Times{utc(2026, 3, 29, 1)}));
}

TEST(CronFireTimes, BerlinFallBackFiresOnceInTheRepeatedHour) {
  // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happens twice.
  EXPECT_EQ(next("30 2 * * *", utc(2026, 10, 23, 12), "Europe/Berlin", 3),
            (Times{utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30),
                   utc(2026, 10, 26, 1, 30)}));
  // Every half hour: 02:00 and 02:30 CEST fire, their CET repeats do not.
  EXPECT_EQ(next("*/30 * * * *", utc(2026, 10, 24, 23, 45), "Europe/Berlin",
                 4),
            (Times{utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30),
                   utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 30)}));
  // Asked from inside the repeated hour, the next 02:30 is the next day's.
  EXPECT_EQ(next("30 2 * * *", utc(2026, 10, 25, 1, 10), "Europe/Berlin", 1),
            (Times{utc(2026, 10, 26, 1, 30)}));
}

TEST(CronFireTimes, NewYorkDaylightSavingChanges) {
  // 2026-03-08: 02:00 EST becomes 03:00 EDT.
  EXPECT_EQ(next("0 2 * * *", utc(2026, 3, 6, 12), "America/New_York", 2),
            (Times{utc(2026, 3, 7, 7), utc(2026, 3, 9, 6)}));
  // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:30 fires once, in EDT.
  EXPECT_EQ(next("30 1 * * *", utc(2026, 10, 31, 12), "America/New_York", 2),
            (Times{utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)}));
}

TEST(CronFireTimes, February29) {
  EXPECT_EQ(next("0 0 29 2 *", utc(2026, 1, 1), "UTC", 3),
            (Times{utc(2028, 2, 29), utc(2032, 2, 29), utc(2036, 2, 29)}));
  // 2100 is not a leap year: eight years from one February 29 to the next.
  EXPECT_EQ(next("0 0 29 2 *", utc(2096, 3, 1), "UTC", 1),
            (Times{utc(2104, 2, 29)}));
}

TEST(CronFireTimes, EitherDayFieldMatchesWhenBothAreRestricted) {
  // February 29 or any Monday in February.
  EXPECT_EQ(next("0 0 29 2 1", utc(2026, 2, 20), "UTC", 6),
            (Times{utc(2026, 2, 23), utc(2027, 2, 1), utc(2027, 2, 8),
                   utc(2027, 2, 15), utc(2027, 2, 22), utc(2028, 2, 7)}));
  EXPECT_EQ(next("0 0 29 2 1", utc(2028, 2, 27), "UTC", 2),
            (Times{utc(2028, 2, 28), utc(2028, 2, 29)}));
  // The 13th or a Friday.
  EXPECT_EQ(next("0 12 13 * fri", utc(2026, 3, 1), "UTC", 4),
            (Times{utc(2026, 3, 6, 12), utc(2026, 3, 13, 12),
                   utc(2026, 3, 20, 12), utc(2026, 3, 27, 12)}));
  // One restricted field alone must match: Mondays only.
  EXPECT_EQ(next("0 0 * * 1", utc(2026, 3, 1), "UTC", 2),
            (Times{utc(2026, 3, 2), utc(2026, 3, 9)}));
}

TEST(CronFireTimes, StarStepDoesNotRestrictTheDay) {
  // As in Vixie cron, "*/2" counts as '*' for the either-day rule: odd days
  // that are also Mondays.
  EXPECT_EQ(next("0 0 */2 * 1", utc(2026, 3, 1), "UTC", 3),
            (Times{utc(2026, 3, 9), utc(2026, 3, 23), utc(2026, 4, 13)}));
}

TEST(CronFireTimes, ImpossibleScheduleEndsEmpty) {
  EXPECT_TRUE(next("0 0 30 2 *", utc(2026, 1, 1), "UTC", 3).empty());
}

TEST(CronFireTimes, LocalTimeWhenNoZoneIsGiven) {
  std::vector<std::int64_t> T = next("0 * * * *", utc(2026, 1, 1), "", 2);
  ASSERT_EQ(T.size(), 2u);
  EXPECT_GT(T[0], utc(2026, 1, 1));
  EXPECT_EQ(T[0] % 900, 0); // whole hours, in any zone with a whole offset
  EXPECT_EQ(T[1] - T[0], 3600);
}

TEST(CronFireTimes, UnknownZonesAreErrors) {
  for (const char *Zone : {"Mars/Olympus", "Europe", "../../etc/passwd",
                           "/usr/share/zoneinfo/UTC", "Europe/Berlin "}) {
    EXPECT_FALSE(isKnownTimeZone(Zone)) << Zone;
    llvm::Expected<std::vector<std::int64_t>> T =
        nextFireTimes(cron("0 0 * * *"), 0, Zone, 1);
    ASSERT_FALSE(T) << Zone;
    EXPECT_EQ(llvm::toString(T.takeError()),
              "unknown time zone '" + std::string(Zone) +
                  "' (expected an IANA name such as 'Europe/Paris')");
  }
  EXPECT_TRUE(isKnownTimeZone("UTC"));
  EXPECT_TRUE(isKnownTimeZone("Europe/Berlin"));
  EXPECT_TRUE(isKnownTimeZone(""));
  EXPECT_EQ(format(0, "Nowhere/Town").substr(0, 6), "error:");
}

TEST(CronFireTimes, Format) {
  EXPECT_EQ(format(utc(2026, 11, 22, 2), "Europe/Berlin"),
            "2026-11-22 03:00 CET (+01:00)");
  EXPECT_EQ(format(utc(2026, 7, 1, 1), "Europe/Berlin"),
            "2026-07-01 03:00 CEST (+02:00)");
  EXPECT_EQ(format(utc(2026, 11, 1, 5, 30), "America/New_York"),
            "2026-11-01 01:30 EDT (-04:00)");
  EXPECT_EQ(format(utc(2026, 11, 1, 6, 30), "America/New_York"),
            "2026-11-01 01:30 EST (-05:00)");
  EXPECT_EQ(format(utc(2026, 1, 1, 0, 15), "Asia/Kolkata"),
            "2026-01-01 05:45 IST (+05:30)");
  EXPECT_EQ(format(utc(2026, 1, 1), "UTC"), "2026-01-01 00:00 UTC (+00:00)");
}

TEST(CronFireTimes, ZoneIsRestoredAfterwards) {
  const char *Before = std::getenv("TZ");
  std::string Saved = Before ? Before : "<unset>";
  next("0 0 * * *", 0, "Asia/Tokyo", 1);
  const char *After = std::getenv("TZ");
  EXPECT_EQ(After ? After : "<unset>", Saved);
}
