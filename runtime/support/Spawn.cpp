//===- Spawn.cpp - starting helper processes without a shell --------------===//
#include "runtime/support/Spawn.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

using namespace connectorc;
using namespace connectorc::runtime;

llvm::Expected<pid_t> runtime::spawnProcess(const SpawnOptions &O) {
  assert(!O.Argv.empty() && "nothing to start");
  std::vector<char *> Argv, Envp;
  for (const std::string &S : O.Argv)
    Argv.push_back(const_cast<char *>(S.c_str()));
  Argv.push_back(nullptr);
  for (const std::string &S : O.Env)
    Envp.push_back(const_cast<char *>(S.c_str()));
  Envp.push_back(nullptr);
  posix_spawn_file_actions_t FA;
  posix_spawnattr_t SA;
  ::posix_spawn_file_actions_init(&FA);
  ::posix_spawnattr_init(&SA);
  ::posix_spawn_file_actions_addopen(&FA, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
  ::posix_spawn_file_actions_addopen(&FA, STDOUT_FILENO, O.Output.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
  ::posix_spawn_file_actions_adddup2(&FA, STDOUT_FILENO, STDERR_FILENO);
  if (!O.Cwd.empty())
    ::posix_spawn_file_actions_addchdir_np(&FA, O.Cwd.c_str());
  // Every signal at its default (this process ignores SIGPIPE and catches
  // others on its loop), none blocked.
  sigset_t None, Defaults;
  sigemptyset(&None);
  sigfillset(&Defaults);
  ::posix_spawnattr_setsigmask(&SA, &None);
  ::posix_spawnattr_setsigdefault(&SA, &Defaults);
  short Flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (O.Detach == SpawnOptions::Detach::Session) {
    Flags |= POSIX_SPAWN_SETSID;
  } else {
    Flags |= POSIX_SPAWN_SETPGROUP;
    ::posix_spawnattr_setpgroup(&SA, 0);
  }
  ::posix_spawnattr_setflags(&SA, Flags);
  pid_t Pid = -1;
  int Err = ::posix_spawn(&Pid, Argv.front(), &FA, &SA, Argv.data(),
                          O.Env.empty() ? environ : Envp.data());
  ::posix_spawn_file_actions_destroy(&FA);
  ::posix_spawnattr_destroy(&SA);
  if (Err)
    return llvm::createStringError(std::error_code(Err, std::generic_category()),
                                   "cannot start %s: %s", Argv.front(),
                                   std::strerror(Err));
  return Pid;
}
