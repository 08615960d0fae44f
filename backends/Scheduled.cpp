//===- Scheduled.cpp - what the cron and systemd backends start -----------===//
#include "backends/Scheduled.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace connectorc;

/// \p Path made absolute against the current directory, without "." parts.
static std::string absolute(llvm::StringRef Path) {
  llvm::SmallString<256> Abs(Path);
  llvm::sys::fs::make_absolute(Abs);
  llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  return std::string(Abs);
}

/// Whether \p S is non-empty and only letters, digits and \p Extra: safe in
/// a file name, a unit name or a crontab variable.
static bool isSafeName(llvm::StringRef S, llvm::StringRef Extra) {
  return !S.empty() && llvm::all_of(S, [&](char C) {
    return llvm::isAlnum(C) || Extra.contains(C);
  });
}

/// What `connectorc run` is given: the spec when building from it (so that
/// edits to it take effect), the plan file when building from one (whose
/// recorded source may be relative to another directory).
static llvm::StringRef runInput(const ir::Plan &P, const EmitOptions &Opts) {
  if (Opts.InputPath.empty() || Opts.InputPath == "-")
    return P.Source;
  if (P.Source.empty() || absolute(Opts.InputPath) != absolute(P.Source))
    return Opts.InputPath;
  return P.Source;
}

llvm::Expected<ScheduledRun> connectorc::scheduledRun(const ir::Plan &P,
                                                      const EmitOptions &Opts,
                                                      llvm::StringRef Format) {
  if (P.Cron.empty())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "workflow '%s' has no schedule: --emit=%s needs \"schedule\" in the "
        "spec (e.g. \"schedule\": \"0 3 * * *\")",
        P.Workflow.c_str(), Format.str().c_str());
  CronError Err;
  std::optional<CronSchedule> S = parseCron(P.Cron, Err);
  if (!S)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid schedule '%s': %s", P.Cron.c_str(),
                                   Err.Message.c_str());
  if (!isSafeName(P.Workflow, "._-"))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "workflow name '%s' cannot name a log or unit file (expected letters, "
        "digits, '.', '_', '-')",
        P.Workflow.c_str());
  if (!isSafeName(P.TimeZone, "/_+-") && !P.TimeZone.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid time zone '%s'",
                                   P.TimeZone.c_str());
  ScheduledRun R;
  R.Exe = absolute(Opts.SelfExe);
  R.Spec = absolute(runInput(P, Opts));
  R.ProjectRoot =
      absolute(P.ProjectRoot.empty() ? llvm::sys::path::parent_path(R.Spec)
                                     : llvm::StringRef(P.ProjectRoot));
  llvm::SmallVector<llvm::StringRef, 5> Fields;
  llvm::SplitString(P.Cron, Fields);
  R.Cron = llvm::join(Fields, " ");
  R.Schedule = *S;
  return R;
}
