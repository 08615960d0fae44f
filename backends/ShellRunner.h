//===- ShellRunner.h - the runner of the sh and make backends -*- C++ -*-===//
//
// Both backends run a task the same way: shell functions (the "runner") that
// try a task's candidates in order with retries, a timeout, the CONNECTOR_*
// environment of runtime/executor/Request.cpp, atomic answers and the run directory
// layout of `connectorc run`. This module writes that code once, for either
// artifact: a POSIX script (sh) or a Makefile recipe (make), which differ only
// in how an untrusted string is quoted and how a '$' of our own is written.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_BACKENDS_SHELLRUNNER_H
#define CONNECTORC_BACKENDS_SHELLRUNNER_H

#include "backends/Backend.h"

namespace connectorc {

/// Shell text being written for one kind of artifact.
class ShellText {
public:
  enum class Dialect { Sh, Make };
  explicit ShellText(Dialect D) : D(D) {}

  /// Appends shell code of our own (never untrusted text); in a Makefile
  /// every '$' is doubled.
  ShellText &code(llvm::StringRef Own);
  /// Appends \p Untrusted as one quoted shell word (shellQuote/makeQuote).
  ShellText &word(llvm::StringRef Untrusted);
  /// Appends a word for "$RUN_DIR/<RunRelative>" (\p RunVar: the shell
  /// variable holding the run directory).
  ShellText &runPath(llvm::StringRef RunRelative,
                     llvm::StringRef RunVar = "RUN_DIR");
  /// Appends a prompt as one word, with {run} and {scratchpad} expanded at
  /// run time (to the value of the shell variable \p RunVar) and {{ }} made
  /// single braces, as runtime/executor/Request.cpp does.
  ShellText &prompt(llvm::StringRef Prompt, llvm::StringRef RunVar = "RUN_DIR");

  Dialect dialect() const { return D; }
  const std::string &str() const { return Out; }

private:
  Dialect D;
  std::string Out;
};

/// An error for what a plan asks that the shell backends cannot do (typed
/// prompts, structured answers, a mesh stage's task on another machine);
/// \p Backend names the --emit kind in the message.
llvm::Error checkShellPlan(const ir::Plan &P, llvm::StringRef Backend);

/// A distinct worktree of the plan (same name and repository) and the
/// tasks that work in it, in plan order; a mesh stage's tasks are left out
/// (`connectorc run --stage` makes their worktrees).
struct ShellWorktree {
  const ir::TaskSession *Session;
  std::vector<unsigned> Tasks;
};
std::vector<ShellWorktree> shellWorktrees(const ir::Plan &P);

/// The index in \p P.Machines of the machine worktree \p W lives on (that
/// of its first task's first machine, as the runtime places it), or -1 for
/// this one. Its tasks work in it there; on this machine, in the local
/// worktree, made for every worktree so that a task can fail over here.
int worktreeMachine(const ir::Plan &P, const ShellWorktree &W);

/// Whether a task of \p P may run on another machine (over ssh).
bool anyRemote(const ir::Plan &P);

/// The index in \p P.Machines of each machine a sandboxed task may run on
/// (probed before anything starts: connector_probe_rbwrap).
std::vector<unsigned> sandboxMachines(const ir::Plan &P);

/// The index in \p P.Machines of each machine a task of \p P may run on,
/// in table order.
std::vector<unsigned> remoteMachines(const ir::Plan &P);

/// Whether a task of \p P runs in a sandbox (the script then probes bwrap
/// before anything starts: connector_probe_bwrap).
bool anySandboxed(const ir::Plan &P);

/// Writes the runner: the shell functions that run one task
/// (connector_task) and one function per model binding.
void writeShellRunner(ShellText &S, const ir::Plan &P, const EmitOptions &Opts);

/// Writes, on one line, the assignments and the connector_task call that run
/// task \p T (its prerequisites must have been run first).
void writeTaskCall(ShellText &S, const ir::Plan &P, unsigned T);

/// Whether task \p T is in a mesh stage (run by `connectorc run --stage`).
bool isMesh(const ir::Plan &P, unsigned T);

/// Writes the call that runs mesh stage \p Stage through the runtime:
/// `connector_mesh NAME DEP... -- INDEX ANSWER...` (the runner's).
void writeMeshCall(ShellText &S, const ir::Plan &P, unsigned Stage);

/// Writes the command that puts \p P, as JSON, at RUN_DIR/.state/plan.json
/// for `connectorc run --stage`.
void writePlanCommand(ShellText &S, const ir::Plan &P);

/// Refuses a worktree that a mesh stage's `connectorc run --stage` and the
/// script (for tasks of other stages) would both make and finish.
llvm::Error checkMeshWorktrees(const ir::Plan &P, llvm::StringRef Backend);

} // namespace connectorc

#endif
