//===- SandboxLayout.h - the bwrap argv of a sandboxed task ------*- C++
//-*-===//
//
// What a sandboxed task's bwrap is told, once, for every executor: the
// runtime (runtime/sandbox/Sandbox.cpp) resolves it with the paths it knows, the sh
// and make backends (backends/ShellRunner.cpp) write it as shell code that
// resolves it when the script runs. Pure: no file system access here.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_SANDBOXLAYOUT_H
#define CONNECTORC_IR_SANDBOXLAYOUT_H

#include "ir/Plan.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <vector>

namespace connectorc::ir {

/// A directory the argv names, known only to whoever runs the task.
enum class SandboxDir {
  WorkDir,     ///< the task's worktree, or the project root
  ProjectRoot, ///< the project root
  RunDir,      ///< the run directory
  ProgramDir,  ///< the directory of the agent's executable
  Home,        ///< the user's home directory
  UserPath,    ///< Sub itself: "~/...", "/...", or "${NAME:-~/...}/..."
               ///< (expandUserPath)
};

/// One piece of bwrap's argv.
struct SandboxArg {
  enum class Kind {
    Literal, ///< the word Text
    Bind,    ///< --bind PATH PATH
    RoBind,  ///< --ro-bind PATH PATH
    Tmpfs,   ///< --tmpfs PATH (a private, empty directory over PATH)
    RemountRo, ///< --remount-ro PATH (PATH's own mount only, not those in it)
  };
  /// When a bind is made.
  enum class When {
    Always,
    IfExists, ///< PATH exists (bwrap's --bind-try / --ro-bind-try)
    IfHidden, ///< PATH is under /tmp or the home directory, which the
              ///< sandbox replaces by empty private ones
  };
  Kind K = Kind::Literal;
  std::string Text;                     ///< Kind::Literal
  SandboxDir Dir = SandboxDir::WorkDir; ///< a bind's PATH: Dir ...
  std::string Sub;                      ///< ... + "/" + Sub unless empty
  When Cond = When::Always;
};

/// What a sandbox's layout depends on besides its profile.
struct SandboxTask {
  bool WorkDirIsProject = false; ///< no worktree: it works in the project
  bool Mailbox = false;          ///< it may write the run's mail root
  /// Its provider's own state (ModelBinding::SandboxState), read-write.
  std::vector<std::string> State;
};

/// bwrap's arguments (without bwrap itself), up to and including "--", for
/// a task with \p Profile that works in its worktree or, when
/// WorkDirIsProject, in the project. A task with a Mailbox may write the
/// run's whole mail root: sending writes to the others' maildirs. The home
/// directory is an empty private one: what the task needs of it (its
/// worktree, the provider's state, the spec's grants) is bound back in.
/// A bind whose directory is empty is left out.
std::vector<SandboxArg> sandboxLayout(const SandboxProfile &Profile,
                                      const SandboxTask &Task);

/// Whether \p Path is /tmp or below it, or \p Home or below it.
bool isHidden(llvm::StringRef Path, llvm::StringRef Home);

/// A sandbox grant outside the project: "~", "~/..." or absolute.
bool isHomeOrAbsolute(llvm::StringRef Path);

/// What a grant of \p Path ("~/..." or absolute, as the spec wrote it)
/// opens when it is, holds or lies in a place for credentials or keys
/// ("your SSH keys (~/.ssh)"); std::nullopt otherwise.
std::optional<std::string> sensitivePath(llvm::StringRef Path);

/// A user path as a path: a leading "~" is \p Home; a leading "$NAME" or
/// "${NAME:-DEFAULT}" (followed by "/" or nothing) is that variable's value
/// from \p GetEnv, or DEFAULT (which may itself start with "~") when it is
/// unset or empty. std::nullopt when "$NAME" has no value and no default,
/// or "~" is used and \p Home is empty: the entry names no file then.
std::optional<std::string> expandUserPath(
    llvm::StringRef Entry, llvm::StringRef Home,
    llvm::function_ref<std::optional<std::string>(llvm::StringRef)> GetEnv);

/// The argv of the probe that finds out whether \p Bwrap can make a
/// sandbox's namespaces on a machine (run here, or over ssh).
std::vector<std::string> bwrapProbeArgv(llvm::StringRef Bwrap);

/// Where bwrap is on another machine: the system's, never the remote PATH.
inline constexpr const char *RemoteBwrap = "/usr/bin/bwrap";

} // namespace connectorc::ir

#endif
