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

#include <bitset>
#include <optional>
#include <string>

namespace connectorc {

/// A parsed cron schedule: the set of allowed values of each field.
struct CronSchedule {
  std::bitset<60> Minutes;
  std::bitset<24> Hours;
  std::bitset<32> Days;     ///< 1..31
  std::bitset<13> Months;   ///< 1..12
  std::bitset<7> Weekdays;  ///< 0 = Sunday (7 is folded into 0)
  bool DayRestricted = false;     ///< day-of-month field is not `*`
  bool WeekdayRestricted = false; ///< day-of-week field is not `*`
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

} // namespace connectorc

#endif
