//===- SandboxLayout.h - the bwrap argv of a sandboxed task ------*- C++
//-*-===//
//
// What a sandboxed task's bwrap is told, once, for every executor: the
// runtime (runtime/Sandbox.cpp) resolves it with the paths it knows, the sh
// and make backends (backends/ShellRunner.cpp) write it as shell code that
// resolves it when the script runs. Pure: no file system access here.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_SANDBOXLAYOUT_H
#define CONNECTORC_IR_SANDBOXLAYOUT_H

#include "ir/Plan.h"

#include <string>
#include <vector>

namespace connectorc::ir {

/// A directory the argv names, known only to whoever runs the task.
enum class SandboxDir {
  WorkDir,     ///< the task's worktree, or the project root
  ProjectRoot, ///< the project root
  RunDir,      ///< the run directory
  ProgramDir,  ///< the directory of the agent's executable
};

/// One piece of bwrap's argv.
struct SandboxArg {
  enum class Kind {
    Literal, ///< the word Text
    Bind,    ///< --bind PATH PATH
    RoBind,  ///< --ro-bind PATH PATH
  };
  /// When a bind is made.
  enum class When {
    Always,
    IfExists, ///< PATH exists (bwrap's --bind-try / --ro-bind-try)
    IfInTmp,  ///< PATH is /tmp or below it (a private /tmp hides it)
  };
  Kind K = Kind::Literal;
  std::string Text;                     ///< Kind::Literal
  SandboxDir Dir = SandboxDir::WorkDir; ///< a bind's PATH: Dir ...
  std::string Sub;                      ///< ... + "/" + Sub unless empty
  When Cond = When::Always;
};

/// bwrap's arguments (without bwrap itself), up to and including "--", for
/// a task with \p Profile that works in its worktree or, when
/// \p WorkDirIsProject, in the project. A task with a \p Mailbox may
/// write the run's whole mail root: sending writes to the others' maildirs.
/// A bind whose directory is empty is left out.
std::vector<SandboxArg> sandboxLayout(const SandboxProfile &Profile,
                                      bool WorkDirIsProject, bool Mailbox);

/// Whether \p Path is /tmp or below it.
bool inTmp(llvm::StringRef Path);

/// The argv of the probe that finds out whether \p Bwrap can make a
/// sandbox's namespaces on a machine (run here, or over ssh).
std::vector<std::string> bwrapProbeArgv(llvm::StringRef Bwrap);

/// Where bwrap is on another machine: the system's, never the remote PATH.
inline constexpr const char *RemoteBwrap = "/usr/bin/bwrap";

} // namespace connectorc::ir

#endif
