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
  bool Mailbox = false;    ///< the task has a mailbox under RunDir/mail
  /// The paths are another machine's: a bind that depends on a path
  /// existing is left to that machine's bwrap (--bind-try, --ro-bind-try)
  /// rather than looked up here.
  bool Remote = false;
};

/// bwrap and its arguments, up to and including "--": put the agent's argv
/// after it.
std::vector<std::string> sandboxArgv(llvm::StringRef Bwrap,
                                     const ir::SandboxProfile &Profile,
                                     const SandboxPaths &Paths);

} // namespace connectorc::runtime

#endif
