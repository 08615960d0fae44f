//===- Cron.h - five-field cron schedules ------------------------*- C++ -*-===//
//
// `"schedule": "0 3 * * *"`: minute, hour, day of month, month, day of week,
// with `*`, `*/n`, `a-b`, `a-b/n`, `a,b`, month and weekday names, and the
// macros @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_CRON_H
#define CONNECTORC_IR_CRON_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace connectorc {

/// A parsed cron schedule: the set of allowed values of each field.
struct CronSchedule {
  std::bitset<60> Minutes;
  std::bitset<24> Hours;
  std::bitset<32> Days;     ///< 1..31
  std::bitset<13> Months;   ///< 1..12
  std::bitset<7> Weekdays;  ///< 0 = Sunday (7 is folded into 0)
  /// The day-of-month field does not start with `*` (as in Vixie cron,
  /// `*/2` does not restrict the day for the either-day rule).
  bool DayRestricted = false;
  bool WeekdayRestricted = false; ///< the same for the day-of-week field
};

/// Why a cron string did not parse, and where in it (byte offsets).
struct CronError {
  std::string Message;
  size_t Offset = 0;
  size_t Length = 0;
};

/// Parses \p Text; on failure returns std::nullopt and fills \p Err.
std::optional<CronSchedule> parseCron(llvm::StringRef Text, CronError &Err);

/// Returns why \p S can never fire (e.g. "February has no day 30 or 31"), or
/// std::nullopt when it fires at least once a year.
std::optional<std::string> whyCronNeverFires(const CronSchedule &S);

/// Whether \p TimeZone names a zone of the system's tz database (an IANA name
/// such as "Europe/Berlin", or "UTC"). The empty name means local time and is
/// known too.
bool isKnownTimeZone(llvm::StringRef TimeZone);

/// The first \p N times (Unix seconds, ascending) strictly after \p After at
/// which \p S fires, read in \p TimeZone (an IANA name; empty: local time).
///
/// Cron semantics: when both day of month and day of week are restricted, a
/// day matching either fires. Across daylight-saving changes, a local time
/// that does not exist (the hour skipped in spring) does not fire, and one
/// that occurs twice (the hour repeated in autumn) fires once, the first time.
/// The search gives up after ten years without a fire time (February 29 is
/// at most eight apart), so a schedule that never fires ("0 0 30 2 *", which
/// lint rejects) gives fewer than \p N times, quickly. An unknown zone is an
/// error.
///
/// Zones are read through the C library (TZ, tzset, localtime_r) under a
/// mutex; code elsewhere in the process that reads TZ or calls localtime
/// while this runs may see the zone asked for here.
llvm::Expected<std::vector<std::int64_t>>
nextFireTimes(const CronSchedule &S, std::int64_t After,
              llvm::StringRef TimeZone, unsigned N);

/// \p Time as local time in \p TimeZone (empty: local time), e.g.
/// "2026-11-22 03:00 CET (+01:00)". An unknown zone is an error.
llvm::Expected<std::string> formatFireTime(std::int64_t Time,
                                           llvm::StringRef TimeZone);

} // namespace connectorc

#endif
