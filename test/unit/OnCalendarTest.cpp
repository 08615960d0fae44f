//===- OnCalendarTest.cpp - scheduled runs and systemd OnCalendar= -------===//
//
// What the cron and systemd backends run (scheduledRun); the OnCalendar=
// expressions, and that the union of their fire times, as `systemd-analyze
// calendar` computes them, equals cron's (nextFireTimes) from a fixed base
// time.
//
//===----------------------------------------------------------------------===//
#include "backends/Scheduled.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <ctime>

#include <gtest/gtest.h>

using namespace connectorc;

namespace {

std::vector<std::string> expressions(llvm::StringRef Cron,
                                     llvm::StringRef TimeZone = "") {
  CronError Err;
  std::optional<CronSchedule> S = parseCron(Cron, Err);
  EXPECT_TRUE(S) << Err.Message;
  return S ? onCalendarExpressions(*S, TimeZone) : std::vector<std::string>{};
}

using Exprs = std::vector<std::string>;

TEST(OnCalendar, EveryDay) {
  EXPECT_EQ(expressions("0 3 * * *"), Exprs{"*-*-* 03:00:00"});
  EXPECT_EQ(expressions("@daily"), Exprs{"*-*-* 00:00:00"});
  EXPECT_EQ(expressions("* * * * *"), Exprs{"*-*-* *:*:00"});
}

TEST(OnCalendar, TimeZoneSuffix) {
  EXPECT_EQ(expressions("0 3 * * *", "Europe/Berlin"),
            Exprs{"*-*-* 03:00:00 Europe/Berlin"});
  EXPECT_EQ(expressions("0 0 1,15 * 5", "UTC"),
            (Exprs{"*-*-01,15 00:00:00 UTC", "Fri *-*-* 00:00:00 UTC"}));
}

TEST(OnCalendar, ListsRangesAndSteps) {
  EXPECT_EQ(expressions("*/15 9-17 * * mon-fri"),
            Exprs{"Mon..Fri *-*-* 09..17:00/15:00"});
  EXPECT_EQ(expressions("0 */6 * * *"), Exprs{"*-*-* 00/6:00:00"});
  EXPECT_EQ(expressions("1-4 * * * *"), Exprs{"*-*-* *:01..04:00"});
  EXPECT_EQ(expressions("0,30 8 * * *"), Exprs{"*-*-* 08:00,30:00"});
  EXPECT_EQ(expressions("0 12 * jan,jul *"), Exprs{"*-01,07-* 12:00:00"});
  EXPECT_EQ(expressions("5 4 * */3 *"), Exprs{"*-01/3-* 04:05:00"});
  // A step that stops before the end of the field is a list.
  EXPECT_EQ(expressions("0-20/10 * * * *"), Exprs{"*-*-* *:00,10,20:00"});
}

TEST(OnCalendar, WeekdaysMondayFirst) {
  EXPECT_EQ(expressions("0 0 * * 0"), Exprs{"Sun *-*-* 00:00:00"});
  EXPECT_EQ(expressions("0 0 * * 7"), Exprs{"Sun *-*-* 00:00:00"});
  EXPECT_EQ(expressions("0 0 * * 6,0"), Exprs{"Sat,Sun *-*-* 00:00:00"});
  EXPECT_EQ(expressions("0 0 * * 5-7"), Exprs{"Fri..Sun *-*-* 00:00:00"});
  EXPECT_EQ(expressions("0 0 * * 0,1,3"), Exprs{"Mon,Wed,Sun *-*-* 00:00:00"});
}

TEST(OnCalendar, BothDayFieldsRestrictedFireOnEither) {
  EXPECT_EQ(expressions("30 4 1,15 * 5"),
            (Exprs{"*-*-01,15 04:30:00", "Fri *-*-* 04:30:00"}));
  EXPECT_EQ(expressions("0 0 13 * fri"),
            (Exprs{"*-*-13 00:00:00", "Fri *-*-* 00:00:00"}));
}

TEST(OnCalendar, StarStepDayIsNotRestricted) {
  // `*/2` does not restrict the day for cron's either-day rule: both match.
  EXPECT_EQ(expressions("30 4 */2 * sat,sun"),
            Exprs{"Sat,Sun *-*-01/2 04:30:00"});
  EXPECT_EQ(expressions("0 0 1 * *"), Exprs{"*-*-01 00:00:00"});
}

//===-- the scheduled command
//----------------------------------------------===//

ir::Plan scheduledPlan() {
  ir::Plan P;
  P.Workflow = "nightly";
  P.Cron = "0\t3  * * *";
  P.Source = "specs/nightly.json";
  P.ProjectRoot = "/srv/project";
  return P;
}

TEST(ScheduledRun, AbsolutePathsAndSingleSpacedFields) {
  EmitOptions Opts;
  Opts.SelfExe = "/usr/bin/connectorc";
  Opts.InputPath = "specs/nightly.json";
  llvm::Expected<ScheduledRun> R = scheduledRun(scheduledPlan(), Opts, "cron");
  ASSERT_TRUE(bool(R)) << llvm::toString(R.takeError());
  EXPECT_EQ(R->Cron, "0 3 * * *");
  EXPECT_EQ(R->Exe, "/usr/bin/connectorc");
  EXPECT_TRUE(llvm::StringRef(R->Spec).startswith("/"));
  EXPECT_TRUE(llvm::StringRef(R->Spec).endswith("/specs/nightly.json"));
  EXPECT_EQ(R->ProjectRoot, "/srv/project");
  // Given a plan file, the plan file runs.
  Opts.InputPath = "/tmp/plan.json";
  R = scheduledRun(scheduledPlan(), Opts, "cron");
  ASSERT_TRUE(bool(R)) << llvm::toString(R.takeError());
  EXPECT_EQ(R->Spec, "/tmp/plan.json");
}

TEST(ScheduledRun, RefusesWhatCannotBeScheduled) {
  auto ErrorOf = [](const ir::Plan &P) {
    llvm::Expected<ScheduledRun> R = scheduledRun(P, EmitOptions(), "systemd");
    return R ? std::string("no error") : llvm::toString(R.takeError());
  };
  ir::Plan P = scheduledPlan();
  P.Cron.clear();
  EXPECT_EQ(ErrorOf(P), "workflow 'nightly' has no schedule: --emit=systemd "
                        "needs \"schedule\" in the spec (e.g. \"schedule\": "
                        "\"0 3 * * *\")");
  P = scheduledPlan();
  P.Cron = "0 25 * * *"; // a hand-written plan file
  EXPECT_NE(ErrorOf(P).find("invalid schedule '0 25 * * *'"),
            std::string::npos);
  P = scheduledPlan();
  P.Workflow = "a b";
  EXPECT_NE(ErrorOf(P).find("cannot name a log or unit file"),
            std::string::npos);
  P = scheduledPlan();
  P.TimeZone = "Europe/Berlin\nX=1";
  EXPECT_NE(ErrorOf(P).find("invalid time zone"), std::string::npos);
}

//===-- against systemd-analyze -------------------------------------------===//

/// The first \p N fire times after \p Base of each of \p Exprs, as systemd
/// computes them: one `systemd-analyze calendar` (printing in UTC) for all.
std::vector<std::vector<std::int64_t>>
systemdFireTimes(llvm::ArrayRef<std::string> Exprs, std::int64_t Base,
                 unsigned N) {
  llvm::ErrorOr<std::string> Exe =
      llvm::sys::findProgramByName("systemd-analyze");
  EXPECT_TRUE(bool(Exe))
      << "systemd-analyze is not installed (scripts/setup.sh)";
  if (!Exe)
    return {};
  llvm::SmallString<128> Out;
  llvm::sys::fs::createTemporaryFile("connectorc-oncalendar", "out", Out);
  std::string BaseArg = "--base-time=@" + std::to_string(Base);
  std::string Iterations = "--iterations=" + std::to_string(N);
  std::vector<llvm::StringRef> Argv = {*Exe, "calendar", Iterations, BaseArg};
  Argv.insert(Argv.end(), Exprs.begin(), Exprs.end());
  llvm::Optional<llvm::StringRef> Redirects[] = {
      llvm::StringRef(""), llvm::StringRef(Out), llvm::StringRef(Out)};
  llvm::StringRef Env[] = {"TZ=UTC", "LC_ALL=C"};
  EXPECT_EQ(llvm::sys::ExecuteAndWait(
                *Exe, Argv, llvm::ArrayRef<llvm::StringRef>(Env), Redirects),
            0);
  auto Buf = llvm::MemoryBuffer::getFile(Out);
  llvm::sys::fs::remove(Out);
  std::vector<std::vector<std::int64_t>> Times;
  if (!Buf)
    return Times;
  llvm::SmallVector<llvm::StringRef> Lines;
  (*Buf)->getBuffer().split(Lines, '\n');
  for (llvm::StringRef Line : Lines) {
    Line = Line.trim();
    if (Line.startswith("Normalized form:"))
      Times.emplace_back();
    if (!Line.startswith("Next elapse:") && !Line.startswith("Iter. #"))
      continue;
    // "Next elapse: Thu 2026-01-01 02:00:00 UTC"
    std::string When = Line.split(": ").second.drop_front(4).str();
    std::tm T{};
    EXPECT_TRUE(strptime(When.c_str(), "%Y-%m-%d %H:%M:%S", &T)) << When;
    Times.back().push_back(timegm(&T));
  }
  EXPECT_EQ(Times.size(), Exprs.size()) << (*Buf)->getBuffer().str();
  return Times;
}

TEST(OnCalendar, SystemdFiresWhenCronDoes) {
  // 2026-01-10 00:00:30 UTC: away from daylight-saving changes for the
  // next fire times of these schedules, where cron and systemd differ.
  const std::int64_t Base = 1768003230;
  const unsigned N = 8; // systemd-analyze forks per fire time in a zone
  const char *Crons[] = {
      "0 3 * * *",          "*/15 9-17 * * mon-fri", "0 0 1,15 * 5",
      "30 4 */2 * sat,sun", "0 0 13 * fri",          "0 */6 * * *",
      "5 4 * */3 *",        "0 12 29 2 1",           "0-20/10 1 * * 0",
      "0 0 31 * 1-3",       "45 23 * * 7",           "0 6 1-7 * mon"};
  const char *Zones[] = {"", "Europe/Berlin", "Asia/Kolkata"};
  struct Case {
    std::string Name;
    std::vector<std::int64_t> Want;
    size_t FirstExpr, Exprs;
  };
  std::vector<Case> Cases;
  std::vector<std::string> AllExprs;
  for (const char *Zone : Zones)
    for (const char *Cron : Crons) {
      CronError Err;
      std::optional<CronSchedule> S = parseCron(Cron, Err);
      ASSERT_TRUE(S) << Err.Message;
      // The machine's local time (empty zone) is UTC for systemd-analyze.
      llvm::Expected<std::vector<std::int64_t>> Want =
          nextFireTimes(*S, Base, *Zone ? Zone : "UTC", N);
      ASSERT_TRUE(bool(Want)) << llvm::toString(Want.takeError());
      std::vector<std::string> E = onCalendarExpressions(*S, Zone);
      Cases.push_back({std::string(Cron) + " in '" + Zone + "'", *Want,
                       AllExprs.size(), E.size()});
      llvm::append_range(AllExprs, E);
    }
  std::vector<std::vector<std::int64_t>> Got =
      systemdFireTimes(AllExprs, Base, N);
  ASSERT_EQ(Got.size(), AllExprs.size());
  for (const Case &C : Cases) {
    // The timer fires at the union of its expressions' times.
    std::vector<std::int64_t> Union;
    for (size_t I = C.FirstExpr; I < C.FirstExpr + C.Exprs; ++I)
      llvm::append_range(Union, Got[I]);
    llvm::sort(Union);
    Union.erase(std::unique(Union.begin(), Union.end()), Union.end());
    Union.resize(std::min<size_t>(Union.size(), N));
    EXPECT_EQ(Union, C.Want) << C.Name;
  }
}

} // namespace
