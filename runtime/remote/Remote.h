//===- Remote.h - tasks on other machines, over ssh ---------------*- C++
//-*-===//
//
// A task placed on a machine runs there over the system ssh, as
// docs/run.md ("Remote tasks") describes: the machine's workdir is resolved
// once per run, the task's inputs go out in one ssh call, the agent runs in
// a terminal on the remote (`ssh -tt`, which relays its bytes to the local
// session, so answer and transcript are made here), and the files it wrote
// in the remote scratchpad come back in one more. The steps around the
// agent are `connectorc remote-session`, which the executor starts in the
// task's terminal like any agent: the event loop never waits on ssh.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_REMOTE_H
#define CONNECTORC_RUNTIME_REMOTE_H

#include "ir/Module.h"
#include "runtime/remote/RemoteGit.h"
#include "runtime/remote/Ssh.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace connectorc::runtime {

/// A machine as one run uses it.
struct RemoteTarget {
  std::string Name, Host;
  std::vector<std::string> Prefix; ///< ssh's argv up to and including "--"
  std::string Workdir;             ///< resolved on the remote, absolute
  std::string Home;                ///< $HOME there; "" when not absolute
  std::string Root;                ///< the remote run directory
  std::string Connectorc;          ///< "{connectorc}" there
  /// Why the machine cannot be used (ssh's reason); empty: it can.
  std::string Down;

  /// Prefix for shared connection \p Lane: lane 0 is Prefix itself, lane
  /// N > 0 another master (its own socket, "%C-N"), so that more sessions
  /// than one connection allows (sshd's MaxSessions, 10 by default) can
  /// run at once. Without sharing, every lane is Prefix.
  std::vector<std::string> lanePrefix(unsigned Lane) const;
};

/// Sessions a task on another machine holds at once (one); the executor
/// puts at most this many tasks on one shared connection, below OpenSSH's
/// default MaxSessions of 10 (a check may need one more).
inline constexpr unsigned TasksPerConnection = 8;

/// Connects to \p M (starting the shared connection) and resolves its
/// workdir; the remote run directory is named after \p RunId. When ssh
/// cannot reach it, the target comes back with Down set; other problems
/// (a workdir that is not there) are errors.
llvm::Expected<RemoteTarget> resolveRemote(const ir::Machine &M,
                                           const SshSettings &S,
                                           llvm::StringRef RunId);

/// The remote command line of an agent: `cd DIR && env ENV... ARGV...`, a
/// POSIX shell's. With \p Pass (a sandboxed agent), the environment there
/// is only the variables Pass names (and NAME=$OTHER for each \p Renames
/// pair) that are set, then ENV: `env -i ${PATH+"PATH=$PATH"} ...`.
std::string remoteAgentCommand(llvm::StringRef Dir,
                               llvm::ArrayRef<std::string> Env,
                               llvm::ArrayRef<std::string> Argv,
                               const std::vector<std::string> *Pass = nullptr,
                               const ir::EnvList &Renames = {});

/// What `connectorc remote-session` is told.
struct RemoteSessionArgs {
  std::string RunDir;              ///< local run directory, absolute
  std::string RemoteRun;           ///< the remote run directory
  std::string Task;                ///< task id
  std::vector<std::string> Inputs; ///< relative to the run directory
  std::string Own;                 ///< the task's own answer file, relative
  std::string Command;             ///< remoteAgentCommand's line
  /// The task's worktree there (made, with its base commit pushed first,
  /// when missing): its path, the remote repository, the local one, branch
  /// and base commit. Empty Worktree: none.
  std::string Worktree, RemoteRepo, LocalRepo, Branch, Base;
  std::vector<std::string> Prefix; ///< ssh up to and including "--"
};

/// The first line `remote-session` prints, with exit status
/// RemoteUnreachableExit, when ssh could not reach the machine; the
/// executor then moves the task to its next machine.
inline constexpr const char *UnreachableMarker =
    "connectorc: cannot reach machine: ";
inline constexpr int RemoteUnreachableExit = 255;

/// Inputs out, the agent in a remote terminal, the scratchpad's new files
/// back. Returns the agent's exit status (128+signal when ssh was killed),
/// or RemoteUnreachableExit after printing UnreachableMarker and ssh's
/// reason; other problems are printed to \p Err with status 1.
int runRemoteSession(const RemoteSessionArgs &A, llvm::raw_ostream &Err);

/// Moves the regular files under \p Staging into \p RunDir at the same
/// relative paths (only under scratchpad/; nothing else is followed or
/// kept), then removes \p Staging. Returns the paths moved.
llvm::Expected<std::vector<std::string>>
adoptPulledFiles(llvm::StringRef Staging, llvm::StringRef RunDir);

} // namespace connectorc::runtime

#endif
