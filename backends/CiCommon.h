//===- CiCommon.h - shared by the github and gitlab backends ----*- C++ -*-===//
//
// A plan lowered for a CI service: one job per task, the jobs each needs,
// and the environment of the one step that runs the task. The step's shell
// (attemptScript) is the same constant text for every task of every
// workflow: whatever comes from the spec — prompts, names, paths, argv,
// failure patterns — reaches it only as base64 in environment variables, so
// neither the CI service's expression or variable expansion nor the shell
// ever sees it as syntax. docs/backends.md explains the contract.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_BACKENDS_CICOMMON_H
#define CONNECTORC_BACKENDS_CICOMMON_H

#include "ir/Plan.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace connectorc::ci {

/// The run directory, relative to the job's working directory (the
/// checkout). Not hidden: upload-artifact leaves hidden files out.
inline constexpr const char *RunDir = "connector-run";

/// A shell command that installs a provider's CLI, or checks for it.
struct CiInstall {
  std::string Title;   ///< e.g. "install claude"
  std::string Command; ///< constant text: no spec string in it
};

/// One task as a CI job.
struct CiJob {
  std::string Id;                 ///< [a-z0-9-], unique, starts with a letter
  std::string Stage;              ///< the stage's CI name, [a-z0-9-]
  unsigned Task = 0;              ///< index into Plan::Tasks
  std::vector<std::string> Needs; ///< job ids, in plan order
  /// The task step's environment: names are fixed identifiers, values are
  /// encoded words (CiScript.cpp), decimal numbers or `arg`/`stdin` only.
  std::vector<std::pair<std::string, std::string>> Env;
  /// Environment variables the task's CLIs read from the CI's secrets.
  std::vector<std::string> Secrets;
  /// What puts the CLIs of the task's candidates on the runner.
  std::vector<CiInstall> Installs;
  /// The machine whose runner takes the job: the task's first machine, whose
  /// name is the runner label; empty for "local", the CI's default runner.
  std::string Machine;
  /// The task's other machines, in failover order. A CI service gives a job
  /// to one runner and cannot fail over, so a comment only counts them.
  std::vector<std::string> Failover;
};

/// A plan lowered for CI.
struct CiPlan {
  std::vector<CiJob> Jobs;
  /// CI stage names, each after those it depends on (stages without tasks
  /// are left out).
  std::vector<std::string> Stages;
  /// Every secret any job needs, sorted.
  std::vector<std::string> Secrets;
};

/// Lowers \p P; fails for what a CI job cannot carry (an environment
/// variable name that is not an identifier).
llvm::Expected<CiPlan> lowerForCi(const ir::Plan &P);

/// Fails unless every job's machine can be a runner label of \p Backend's
/// CI service: not empty, no comma (runners are registered with a
/// comma-separated list) or control character, and none of \p Expanded,
/// the text the service would evaluate or expand there instead of reading
/// it as it is.
llvm::Error checkRunnerLabels(const ir::Plan &P, const CiPlan &C,
                              llvm::StringRef Backend,
                              llvm::ArrayRef<llvm::StringRef> Expanded);

/// The comment above a job whose task fails over between machines: it runs
/// on the first's runner only ("" for a task on one machine).
std::string placementComment(const CiJob &J);

/// The POSIX shell of a task's step: the attempt loop (failover over the
/// candidates, retries, timeout) reading the environment of CiJob::Env.
llvm::StringRef attemptScript();

/// `[a-z0-9-]` only, at most \p Max characters, never empty.
std::string slug(llvm::StringRef S, size_t Max = 40);

/// The schedule for a UTC-only cron service: the cron converted to UTC when
/// the plan's time zone is UTC or a fixed whole-hour offset that the
/// conversion can express; Note says what could not be done (empty if all).
struct UtcCron {
  std::string Cron;
  std::string Note;
};
UtcCron utcCron(const ir::Plan &P);

/// The first comment of an artifact: what made it, from what.
std::string banner(llvm::StringRef What, llvm::StringRef InputPath);

/// \p S with line breaks replaced by spaces: fit for a YAML comment.
std::string commentText(llvm::StringRef S);

} // namespace connectorc::ci

#endif
