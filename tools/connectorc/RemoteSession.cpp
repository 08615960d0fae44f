//===- RemoteSession.cpp - `connectorc remote-session` --------------------===//
//
// What the runtime starts in the terminal of a task placed on another
// machine (runtime/remote/Remote.h); not meant to be typed, but documented and
// runnable by hand to debug a machine (docs/run.md, "Remote tasks").
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "runtime/remote/Remote.h"

#include "llvm/Support/raw_ostream.h"

using namespace connectorc;
namespace cl = llvm::cl;

namespace {
cl::opt<std::string> RunDir("run", cl::desc("The local run directory"),
                            cl::value_desc("dir"), cl::Required,
                            cl::sub(driver::remoteSessionCommand()),
                            cl::cat(driver::Category));
cl::opt<std::string> RemoteRun("remote-run",
                               cl::desc("The remote run directory"),
                               cl::value_desc("dir"), cl::Required,
                               cl::sub(driver::remoteSessionCommand()),
                               cl::cat(driver::Category));
cl::opt<std::string> Task("task", cl::desc("The task's id"),
                          cl::value_desc("id"), cl::Required,
                          cl::sub(driver::remoteSessionCommand()),
                          cl::cat(driver::Category));
cl::list<std::string>
    Inputs("input",
           cl::desc("An answer the task reads, relative to the run directory "
                    "(repeatable)"),
           cl::value_desc("path"), cl::sub(driver::remoteSessionCommand()),
           cl::cat(driver::Category));
cl::opt<std::string>
    Own("own", cl::desc("The task's answer file, relative (not fetched back)"),
        cl::value_desc("path"), cl::sub(driver::remoteSessionCommand()),
        cl::cat(driver::Category));
cl::opt<std::string>
    Command("command",
            cl::desc("The agent's command line for the remote shell"),
            cl::value_desc("line"), cl::Required,
            cl::sub(driver::remoteSessionCommand()), cl::cat(driver::Category));
cl::opt<std::string> Worktree("worktree",
                              cl::desc("The task's worktree on the remote"),
                              cl::value_desc("path"),
                              cl::sub(driver::remoteSessionCommand()),
                              cl::cat(driver::Category));
cl::opt<std::string> RemoteRepo("remote-repo",
                                cl::desc("The remote repository"),
                                cl::value_desc("dir"),
                                cl::sub(driver::remoteSessionCommand()),
                                cl::cat(driver::Category));
cl::opt<std::string> LocalRepo("repo", cl::desc("The local repository"),
                               cl::value_desc("dir"),
                               cl::sub(driver::remoteSessionCommand()),
                               cl::cat(driver::Category));
cl::opt<std::string> Branch("branch", cl::desc("The worktree's branch"),
                            cl::value_desc("name"),
                            cl::sub(driver::remoteSessionCommand()),
                            cl::cat(driver::Category));
cl::opt<std::string> Base("base", cl::desc("The worktree's base commit"),
                          cl::value_desc("sha"),
                          cl::sub(driver::remoteSessionCommand()),
                          cl::cat(driver::Category));
cl::list<std::string> Ssh(cl::Positional, cl::OneOrMore,
                          cl::desc("-- SSH-ARGV... (up to the host and --)"),
                          cl::sub(driver::remoteSessionCommand()),
                          cl::cat(driver::Category));
} // namespace

int driver::runRemoteSession() {
  runtime::RemoteSessionArgs A;
  A.RunDir = RunDir;
  A.RemoteRun = RemoteRun;
  A.Task = Task;
  A.Inputs.assign(Inputs.begin(), Inputs.end());
  A.Own = Own;
  A.Command = Command;
  A.Prefix.assign(Ssh.begin(), Ssh.end());
  A.Worktree = Worktree;
  A.RemoteRepo = RemoteRepo;
  A.LocalRepo = LocalRepo;
  A.Branch = Branch;
  A.Base = Base;
  return runtime::runRemoteSession(A, llvm::errs());
}
