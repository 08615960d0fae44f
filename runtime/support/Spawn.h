//===- Spawn.h - starting helper processes without a shell -------*- C++ -*-===//
//
// The processes connectorc starts that are not agents (an agent gets a PTY:
// PtySession.h): the daemon, the runs it holds, notify-send. posix_spawn
// (vfork + execve) with an argv, never a shell; signals at their defaults
// and unblocked; standard streams from files.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SPAWN_H
#define CONNECTORC_RUNTIME_SPAWN_H

#include "llvm/Support/Error.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace connectorc::runtime {

struct SpawnOptions {
  std::vector<std::string> Argv; ///< an absolute program first
  /// "NAME=value" each; empty: this process's environment.
  std::vector<std::string> Env;
  std::string Cwd;                 ///< "" : this process's
  std::string Output = "/dev/null"; ///< standard output and error (appended)
  /// Its own process group (SIGINT at this terminal does not reach it), or
  /// its own session (no terminal's hang-up does).
  enum class Detach { ProcessGroup, Session } Detach = Detach::Session;
};

/// Starts \p O.Argv; its pid, or why it could not start.
llvm::Expected<pid_t> spawnProcess(const SpawnOptions &O);

} // namespace connectorc::runtime

#endif
