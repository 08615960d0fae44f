//===- Sandbox.h - running an agent under bubblewrap -------------*- C++ -*-===//
//
// A session with "sandbox" runs its agent under bwrap: the whole file system
// read-only, writable only where the task works (its worktree, or the
// project with its .git and .connector kept read-only), the run's scratchpad
// and the spec's "write" paths; a private /tmp; new PID (and, without
// "network", network) namespaces; no new privileges; the sandbox dies with
// the runtime. It fails closed: a run that asks for it and cannot have it
// does not start, unless the user passes --no-sandbox.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SANDBOX_H
#define CONNECTORC_RUNTIME_SANDBOX_H

#include "ir/Plan.h"
#include "ir/SandboxLayout.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// bwrap's absolute path: $CONNECTOR_BWRAP when set (it must be an
/// absolute path to an executable: the user's choice, e.g. a bwrap of their
/// own build, or a missing one to check that the run fails closed), else
/// from the system's own directories (/usr/bin, /bin, /usr/local/bin,
/// /usr/sbin); never from PATH, which a worktree or the user's shell set-up
/// could point elsewhere. The error says where it looked.
llvm::Expected<std::string> findBwrap();

/// Runs bwrap once with the namespaces a sandbox uses, to find out whether
/// this machine lets it make them; the error carries bwrap's own message.
llvm::Error probeBwrap(llvm::StringRef Bwrap);

/// The argv of that probe (also run on other machines, over ssh), and
/// where bwrap is there: ir/SandboxLayout.h, which the shell backends share.
using ir::bwrapProbeArgv;
using ir::RemoteBwrap;

/// Where a sandboxed task may write and what it must still see.
struct SandboxPaths {
  std::string WorkDir;     ///< its worktree, or the project root
  bool WorkDirIsProject = false;
  std::string ProjectRoot; ///< absolute
  std::string RunDir;      ///< absolute
  std::string Program;     ///< the agent's executable, absolute if known
  /// The home directory the sandbox replaces by an empty one ("" or "/":
  /// none), and the environment "${NAME:-...}" paths are read from.
  std::string Home;
  std::function<std::optional<std::string>(llvm::StringRef)> GetEnv;
  /// More directories to keep visible, read-only, when they are hidden (the
  /// program's whole installation: a node CLI's node_modules, node itself).
  std::vector<std::string> Keep;
  std::vector<std::string> State; ///< the provider's state (SandboxTask)
  bool Mailbox = false;    ///< the task has a mailbox under RunDir/mail
  /// The paths are another machine's: a bind that depends on a path
  /// existing is left to that machine's bwrap (--bind-try, --ro-bind-try)
  /// rather than looked up here.
  bool Remote = false;
};

/// Where the program \p Name of a sandboxed agent is, looked up here (in
/// \p Path, the agent's PATH, when it has no "/"), with its symbolic links
/// resolved, and the directories it needs: the outermost node_modules it
/// lives in (a node CLI's packages), or its own directory; and for a script,
/// its interpreter's installation ("#!/usr/bin/env node": node's prefix).
/// An error when it cannot be found: the sandbox would not find it either.
struct ResolvedProgram {
  std::string Path;
  std::vector<std::string> Dirs;
};
llvm::Expected<ResolvedProgram> resolveProgram(llvm::StringRef Name,
                                               llvm::StringRef Path);

/// bwrap and its arguments, up to and including "--": put the agent's argv
/// after it.
std::vector<std::string> sandboxArgv(llvm::StringRef Bwrap,
                                     const ir::SandboxProfile &Profile,
                                     const SandboxPaths &Paths);

} // namespace connectorc::runtime

#endif
