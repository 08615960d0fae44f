//===- Run.h - `connectorc run`, `logs` and `status` as a library -*- C++
//-*-===//
//
// A run: a run directory (plan.json, events.jsonl, scratchpad/, sessions/,
// summary.json, summary.md), one io_context on one thread owning every
// process, PTY, timer and signal, an executor, a progress display. The
// driver only parses the command line and calls in here.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_RUN_H
#define CONNECTORC_RUNTIME_RUN_H

#include "ir/Plan.h"
#include "runtime/run/Status.h"
#include "runtime/run/Summary.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace connectorc::runtime {

/// The command line of `connectorc run`, parsed.
struct RunOptions {
  std::string RunDir; ///< "" = .connector/runs/<workflow>-<UTC time>
  bool Resume = false;
  unsigned Jobs = 0;   ///< 0 = cores x 4
  double TimeoutS = 0; ///< 0 = each task's own
  llvm::StringMap<std::string> SimulateFail;
  Verbosity Level = Verbosity::Normal;
  std::string EventsPath; ///< "" none, "-" stdout
  std::string SelfExe;
  double KillGraceS = 5;
  double CoolDownS = 60;
  double BackoffBaseS = 2;
  /// Leave the worktrees in place at the end (their branches always stay).
  bool KeepWorktrees = false;
  /// Run sandboxed tasks without the sandbox (recorded in the journal and
  /// the summary). Without it a run that cannot sandbox does not start.
  bool NoSandbox = false;
  /// Every ssh to another machine makes its own connection (no
  /// ControlMaster): for an ssh_config that shares connections itself.
  bool NoSshSharing = false;
  /// --stage: the stage runStage() runs (named in the journal's run-start).
  std::string Stage;
};

/// How a run ended.
enum class RunResult { Succeeded, Failed, Interrupted };

/// Executes \p P. Errors are what kept the run from starting or from
/// keeping its records (run directory, journal); task failures are a
/// Failed result.
llvm::Expected<RunResult> runPlan(const ir::Plan &P, const RunOptions &O);

/// What `connectorc run --stage NAME` executes: \p Plan holds the stage's
/// tasks and the tasks of the stages it reads (all stages are kept, so
/// indices of stages and every task's inputs are those of the whole plan);
/// \p Given are task-done records of the latter, for Executor::restore.
struct StagePlan {
  ir::Plan Plan;
  std::vector<llvm::json::Object> Given;
};

/// The stage named \p Name of \p P, to run in \p RunDir, which must hold
/// every answer file it reads from earlier stages (ir::inputFiles). An error
/// names the files missing there, or the stage when there is no such stage
/// with tasks.
llvm::Expected<StagePlan> selectStage(const ir::Plan &P, llvm::StringRef Name,
                                      llvm::StringRef RunDir);

/// Runs the stage \p S of \p Whole (from selectStage) in O.RunDir, as
/// runPlan runs a plan, except that the directory may hold answers and a
/// run already: plan.json (\p Whole) is written only when missing, and the
/// journal is appended to but not restored from (the stage runs afresh).
llvm::Expected<RunResult> runStage(const ir::Plan &Whole, const StagePlan &S,
                                   const RunOptions &O);

/// Where a new run of \p P goes: \p RunDir made absolute, or (empty) a new
/// .connector/runs/<workflow>-<UTC time> of the current directory.
llvm::Expected<std::string> newRunDir(const ir::Plan &P,
                                      llvm::StringRef RunDir);

/// The plan a run directory holds (for --resume).
llvm::Expected<ir::Plan> loadRunPlan(llvm::StringRef RunDir);

/// `connectorc status`: what a run (finished or in progress) did so far.
llvm::Error printRunStatus(llvm::StringRef RunDir, llvm::raw_ostream &OS);

/// What the run in \p RunDir did, from its plan and journal (a run whose
/// runtime is gone without an end is reported stopped).
llvm::Expected<RunReport> loadRunReport(llvm::StringRef RunDir);

/// `connectorc logs`: a task's transcript, stripped unless \p Raw; with
/// \p Follow, keeps printing as it grows until the task is done.
llvm::Error printLogs(llvm::StringRef RunDir, llvm::StringRef Task, bool Raw,
                      bool Follow, llvm::raw_ostream &OS);

/// "FAMILY=KIND" for --simulate-fail; false when malformed.
bool parseSimulateFail(llvm::StringRef Arg, std::string &Provider,
                       std::string &Kind);

} // namespace connectorc::runtime

#endif
