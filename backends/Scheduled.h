//===- Scheduled.h - what the cron and systemd backends start -----*- C++
//-*-===//
//
// A scheduled workflow is `connectorc run SPEC` started in the project root
// at the spec's cron times. The cron and systemd backends share how that
// command is found (absolute paths, since a scheduler starts it with no
// useful current directory) and the error for a spec with no schedule.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_BACKENDS_SCHEDULED_H
#define CONNECTORC_BACKENDS_SCHEDULED_H

#include "backends/Backend.h"
#include "ir/Cron.h"

namespace connectorc {

/// The command a scheduler runs, with every path absolute.
struct ScheduledRun {
  std::string Exe; ///< the connectorc binary
  /// What `connectorc run` runs: the spec (compiled at each run), or the
  /// plan file when the backend was given one.
  std::string Spec;
  std::string ProjectRoot; ///< the directory the run starts in
  std::string Cron;        ///< the schedule's five fields, single-spaced
  CronSchedule Schedule;
};

/// The run \p P describes, for `--emit=<Format>`. An error when \p P has no
/// schedule (or one that does not parse: a plan file written by hand).
llvm::Expected<ScheduledRun> scheduledRun(const ir::Plan &P,
                                          const EmitOptions &Opts,
                                          llvm::StringRef Format);

/// \p S as one word of a crontab command: POSIX shell single quotes, with
/// every `%` (which cron turns into a newline) escaped as `\%`.
/// std::nullopt when \p S has a line break, which no crontab entry holds.
std::optional<std::string> quoteCrontabArg(llvm::StringRef S);

/// \p S as one argument of a systemd ExecStart= line: double quotes, C
/// escapes for `"`, `\` and control characters, `%%` for `%` (specifiers)
/// and `$$` for `$` (environment variables). Any string can be quoted.
std::string quoteSystemdArg(llvm::StringRef S);

/// The OnCalendar= expressions whose union fires exactly when \p S does,
/// read in \p TimeZone (an IANA name; empty: local time). One expression,
/// or two when both day fields are restricted, since cron then fires on a
/// day matching either and systemd's fields always all have to match.
std::vector<std::string> onCalendarExpressions(const CronSchedule &S,
                                               llvm::StringRef TimeZone);

} // namespace connectorc

#endif
