//===- Remote.cpp - tasks on other machines, over ssh ---------------------===//
#include "runtime/remote/Remote.h"

#include "runtime/support/Files.h"
#include "runtime/workspace/Worktree.h"

#include "ir/GitIgnore.h"
#include "ir/ShellQuote.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <csignal>
#include <random>
#include <thread>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;

namespace {
/// tar, from the system's own directories (never PATH).
llvm::Expected<std::string> findTar() {
  llvm::ErrorOr<std::string> Tar =
      llvm::sys::findProgramByName("tar", {"/usr/bin", "/bin"});
  if (!Tar)
    return llvm::createStringError(llvm::errc::no_such_file_or_directory,
                                   "tar is not in /usr/bin or /bin");
  return *Tar;
}

/// Runs \p Argv (no shell) with no input; its standard output, or an
/// error with its standard error's last line unless it exits 0.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
runLocal(llvm::ArrayRef<std::string> Argv) {
  llvm::Expected<Captured> C = runCaptured(Argv, "");
  if (!C)
    return C.takeError();
  if (C->Status == 0)
    return std::move(C->Out);
  std::string Why = lastNonBlankLine(C->Err);
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(), "%s failed (exit %d): %s",
      Argv.front().c_str(), C->Status, (Why.empty() ? C->Message : Why).c_str());
}

/// Starts \p Argv with this process's standard streams (the task's
/// terminal) and waits; its exit status, or 128+signal.
int runInTerminal(const std::vector<std::string> &Argv, bool NullStdin) {
  std::vector<char *> C;
  for (const std::string &A : Argv)
    C.push_back(const_cast<char *>(A.c_str()));
  C.push_back(nullptr);
  posix_spawn_file_actions_t FA;
  posix_spawn_file_actions_init(&FA);
  if (NullStdin)
    posix_spawn_file_actions_addopen(&FA, 0, "/dev/null", O_RDONLY, 0);
  pid_t Pid;
  int Failed = posix_spawn(&Pid, C[0], &FA, nullptr, C.data(), environ);
  posix_spawn_file_actions_destroy(&FA);
  if (Failed)
    return 127;
  // A signal to the session's process group reaches ssh too; this process
  // outlives it to report how it ended.
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  int Status = 0;
  while (waitpid(Pid, &Status, 0) < 0)
    if (errno != EINTR)
      return 127;
  if (WIFSIGNALED(Status))
    return 128 + WTERMSIG(Status);
  return WEXITSTATUS(Status);
}

/// runRemote, tried again (after 0.3, 1 and 2.5 seconds, with jitter) while
/// ssh cannot get through: a connection an sshd drops under load
/// (MaxStartups), or masters of one machine started at the same moment,
/// are not a machine that is down. Only the last failure counts.
llvm::Expected<std::string> runPatiently(llvm::ArrayRef<std::string> Prefix,
                                         StringRef Command,
                                         StringRef Stdin = "") {
  static constexpr double WaitS[] = {0.3, 1.0, 2.5};
  std::mt19937 Jitter(std::random_device{}());
  std::uniform_real_distribution<double> Spread(0.5, 1.5);
  for (double W : WaitS) {
    llvm::Expected<std::string> Out = runRemote(Prefix, Command, Stdin);
    if (Out)
      return Out;
    // Every step it runs can run again (mkdir -p, tar -x, find, true).
    llvm::Error E = llvm::handleErrors(
        Out.takeError(),
        [](std::unique_ptr<RemoteCommandError> R) -> llvm::Error {
          if (R->unreachable())
            return llvm::Error::success();
          return llvm::Error(std::move(R));
        });
    if (E)
      return E;
    std::this_thread::sleep_for(
        std::chrono::duration<double>(W * Spread(Jitter)));
  }
  return runRemote(Prefix, Command, Stdin);
}

/// An error's code and message.
struct Said {
  std::error_code Code;
  std::string Why;
};
/// ssh's own reason when \p E is a remote command's failure (runRemote).
Said said(llvm::Error E) {
  Said S;
  llvm::handleAllErrors(
      std::move(E),
      [&S](const RemoteCommandError &R) {
        S.Code = R.convertToErrorCode();
        S.Why =
            R.unreachable() && !R.reason().empty() ? R.reason() : R.message();
      },
      [&S](const llvm::ErrorInfoBase &Other) {
        S.Code = Other.convertToErrorCode();
        S.Why = Other.message();
      });
  return S;
}
} // namespace

llvm::Expected<RemoteTarget> runtime::resolveRemote(const ir::Machine &M,
                                                    const SshSettings &S,
                                                    StringRef RunId) {
  RemoteTarget T;
  T.Name = M.Name;
  T.Host = M.Host;
  T.Connectorc = M.Connectorc.empty() ? "connectorc" : M.Connectorc;
  llvm::Expected<std::vector<std::string>> Argv = sshArgv(M, S);
  if (!Argv)
    return Argv.takeError();
  T.Prefix = std::move(*Argv);
  T.Prefix.push_back("--");
  // A constant script; $1 is the workdir ("~" and "~/..." are the home).
  // Its second line is the home (a sandbox there makes it a private one).
  static constexpr const char *Resolve =
      "d=$1; case $d in '~') d=$HOME ;; '~/'*) d=$HOME/${d#'~/'} ;; esac; "
      "cd \"${d:-.}\" && pwd -P && printf '%s\\n' \"$HOME\"";
  std::string Line =
      "sh -c " + shellQuote(Resolve) + " sh " + shellQuote(M.Workdir);
  llvm::Expected<std::string> Out = runPatiently(T.Prefix, Line);
  if (!Out) {
    Said S = said(Out.takeError());
    if (S.Code != std::errc::host_unreachable)
      return llvm::createStringError(llvm::errc::no_such_file_or_directory,
                                     "machine '%s': workdir '%s': %s",
                                     M.Name.c_str(), M.Workdir.c_str(),
                                     S.Why.c_str());
    T.Down = S.Why;
    return T;
  }
  auto [Workdir, Home] = StringRef(*Out).trim().split('\n');
  T.Workdir = Workdir.str();
  T.Home = Home.trim().str();
  if (!StringRef(T.Home).startswith("/") ||
      T.Home.find('\n') != std::string::npos)
    T.Home.clear();
  if (!StringRef(T.Workdir).startswith("/") ||
      T.Workdir.find('\n') != std::string::npos)
    return llvm::createStringError(llvm::errc::invalid_argument,
                                   "machine '%s': its workdir resolved to "
                                   "'%s', not an absolute path",
                                   M.Name.c_str(), T.Workdir.c_str());
  T.Root = T.Workdir + "/.connector/remote/" + RunId.str();
  return T;
}

std::vector<std::string> RemoteTarget::lanePrefix(unsigned Lane) const {
  std::vector<std::string> Out = Prefix;
  if (Lane == 0)
    return Out;
  for (std::string &A : Out)
    if (StringRef(A).startswith("ControlPath=") && StringRef(A).endswith("/%C"))
      A += "-" + std::to_string(Lane);
  return Out;
}

std::string runtime::remoteAgentCommand(StringRef Dir,
                                        llvm::ArrayRef<std::string> Env,
                                        llvm::ArrayRef<std::string> Argv,
                                        const std::vector<std::string> *Pass,
                                        const ir::EnvList &Renames) {
  std::string Line = "cd " + shellQuote(Dir) + " && env";
  auto Valid = [](StringRef Name) {
    return !Name.empty() && !llvm::isDigit(Name.front()) &&
           llvm::all_of(Name, [](char C) {
             return llvm::isAlnum(C) || C == '_';
           });
  };
  if (Pass) {
    Line += " -i";
    for (const std::string &N : *Pass)
      if (Valid(N))
        Line += " ${" + N + "+\"" + N + "=$" + N + "\"}";
    for (const auto &[To, From] : Renames)
      if (Valid(To) && Valid(From))
        Line += " ${" + From + "+\"" + To + "=$" + From + "\"}";
  }
  for (const std::string &E : Env)
    Line += " " + shellQuote(E);
  for (const std::string &A : Argv)
    Line += " " + shellQuote(A);
  return Line;
}

llvm::Expected<std::vector<std::string>>
runtime::adoptPulledFiles(StringRef Staging, StringRef RunDir) {
  std::vector<std::string> Moved;
  std::error_code EC;
  for (llvm::sys::fs::recursive_directory_iterator
           It(Staging, EC, /*follow_symlinks=*/false),
       End;
       It != End && !EC; It.increment(EC)) {
    if (It->type() != llvm::sys::fs::file_type::regular_file)
      continue;
    StringRef Full = It->path();
    StringRef Rel = Full.drop_front(Staging.size()).ltrim('/');
    if (!Rel.startswith("scratchpad/") || Rel.contains("/../") ||
        Rel.contains("/./"))
      continue;
    std::string To = (RunDir + "/" + Rel).str();
    if (llvm::Error E = createParentDirs(To))
      return E;
    if (std::error_code R = llvm::sys::fs::rename(Full, To))
      return llvm::createStringError(R,
                                     "cannot move %s into the run "
                                     "directory: %s",
                                     Rel.str().c_str(), R.message().c_str());
    Moved.push_back(Rel.str());
  }
  if (EC)
    return llvm::createStringError(EC, "cannot read %s: %s",
                                   Staging.str().c_str(), EC.message().c_str());
  llvm::sys::fs::remove_directories(Staging);
  return Moved;
}

int runtime::runRemoteSession(const RemoteSessionArgs &A,
                              llvm::raw_ostream &Err) {
  auto Q = [](StringRef S) { return shellQuote(S); };
  std::string SessionRel = "sessions/" + A.Task;
  std::string LocalSession = A.RunDir + "/" + SessionRel;
  llvm::Expected<std::string> Tar = findTar();
  if (!Tar) {
    Err << "connectorc remote-session: " << llvm::toString(Tar.takeError())
        << "\n";
    return 1;
  }
  auto Unreachable = [&](StringRef Why) {
    Err << UnreachableMarker << Why << "\n";
    Err.flush();
    return RemoteUnreachableExit;
  };

  // A prompt on standard input (a pipe, not the terminal) goes out as a
  // file the remote agent reads as its standard input, as it would here: a
  // remote terminal never passes an end of file on.
  std::vector<std::string> Files = A.Inputs;
  std::string Command = A.Command;
  bool PromptFile = !::isatty(0);
  if (PromptFile) {
    std::string Prompt;
    char Buf[65536];
    for (ssize_t N; (N = ::read(0, Buf, sizeof Buf)) != 0;) {
      if (N < 0 && errno == EINTR)
        continue;
      if (N < 0)
        break;
      Prompt.append(Buf, N);
    }
    std::string Rel = SessionRel + "/prompt.txt";
    if (llvm::Error E = writeFileAtomic(A.RunDir + "/" + Rel, Prompt)) {
      Err << "connectorc remote-session: " << llvm::toString(std::move(E))
          << "\n";
      return 1;
    }
    Files.push_back(Rel);
    Command += " < " + Q(A.RemoteRun + "/" + Rel);
  }

  // Inputs out, in one call: a tar of them is the remote tar's stdin.
  // The directories the agent is told of exist there, as here.
  // The machine's .connector/ is hidden from its git first, as here
  // (runtime/support/Files.cpp, hideFromGit): the run directory and the worktrees
  // go there.
  std::string Setup = "sh -c " + Q(ir::HideFromGitScript) + " connectorc " +
                      Q(A.RemoteRun) + " " + Q(ir::ConnectorGitIgnore) +
                      " && mkdir -p " + Q(A.RemoteRun + "/" + SessionRel) +
                      " " + Q(A.RemoteRun + "/scratchpad");
  if (!A.Own.empty())
    Setup += " " + Q(A.RemoteRun + "/" +
                     llvm::sys::path::parent_path(A.Own,
                                                  llvm::sys::path::Style::posix)
                         .str());
  std::string Archive;
  if (!Files.empty()) {
    std::vector<std::string> Argv = {*Tar, "-cf", "-", "-C", A.RunDir, "--"};
    llvm::append_range(Argv, Files);
    auto Packed = runLocal(Argv);
    if (!Packed) {
      Err << "connectorc remote-session: cannot pack the inputs: "
          << llvm::toString(Packed.takeError()) << "\n";
      return 1;
    }
    Archive = (*Packed)->getBuffer().str();
    Setup += " && tar -xf - -C " + Q(A.RemoteRun);
  }
  // The agent's exit status is also written there, by the shell that runs
  // it: a shared connection's ssh can lose it (OpenSSH's mux client exits
  // 255, "Control master terminated unexpectedly", when the master ends a
  // tty session before relaying its exit-status; seen under load in
  // ssh/sh_remote_setup.test). An earlier attempt's goes first.
  std::string StatusFile = A.RemoteRun + "/" + SessionRel + "/.exit";
  Setup += " && rm -f " + Q(StatusFile) + " && touch " +
           Q(A.RemoteRun + "/" + SessionRel + "/.start");
  llvm::Expected<std::string> Sent = runPatiently(A.Prefix, Setup, Archive);
  if (!Sent) {
    Said S = said(Sent.takeError());
    if (S.Code == std::errc::host_unreachable)
      return Unreachable(S.Why);
    Err << "connectorc remote-session: cannot send the inputs: " << S.Why
        << "\n";
    return 1;
  }

  // The worktree, from the same base commit as here (sent when missing).
  if (!A.Worktree.empty()) {
    llvm::Expected<std::unique_ptr<GitRepo>> Repo = GitRepo::open(A.LocalRepo);
    llvm::Error E =
        Repo ? pushCommit((*Repo)->raw(), A.Prefix, A.RemoteRepo, A.Base,
                          llvm::sys::path::filename(A.RunDir))
             : Repo.takeError();
    if (!E)
      E = addRemoteWorktree(A.Prefix, A.RemoteRepo, A.Worktree, A.Branch,
                            A.Base);
    if (E) {
      Said S = said(std::move(E));
      if (S.Code == std::errc::host_unreachable)
        return Unreachable(S.Why);
      Err << "connectorc remote-session: worktree " << A.Worktree << ": "
          << S.Why << "\n";
      return 1;
    }
  }

  // The agent, in a terminal on the remote that ssh relays to this one.
  std::vector<std::string> Argv = A.Prefix;
  Argv.insert(Argv.begin() + 1, {"-tt", "-o", "LogLevel=ERROR"});
  Argv.push_back("sh -c " + Q(Command + "\ns=$?; echo \"$s\" > " +
                             Q(StatusFile) + "; exit \"$s\""));
  Err.flush();
  int Status = runInTerminal(Argv, PromptFile);
  if (Status == 255) {
    // The agent's own 255, or ssh's: ask the machine what the agent's was.
    llvm::Expected<std::string> Said255 =
        runPatiently(A.Prefix, "cat " + Q(StatusFile) + " 2>/dev/null || :");
    if (!Said255) {
      Said S = said(Said255.takeError());
      if (S.Code == std::errc::host_unreachable)
        return Unreachable(S.Why);
    } else if (unsigned Own;
               !StringRef(*Said255).trim().getAsInteger(10, Own) && Own < 256) {
      Status = static_cast<int>(Own);
    }
  }
  if (Status > 128 && Status < 128 + 65 && Status != 255)
    return Status; // Killed: nothing to fetch.

  // The files it wrote in the remote scratchpad come back.
  std::string Pull = "cd " + Q(A.RemoteRun) +
                     " && find scratchpad -type f -newer " +
                     Q(SessionRel + "/.start");
  if (!A.Own.empty())
    Pull += " ! -path " + Q(A.Own);
  Pull += " | tar -cf - -T -";
  llvm::Expected<std::string> Pulled = runPatiently(A.Prefix, Pull);
  if (!Pulled) {
    Err << "connectorc remote-session: cannot fetch the scratchpad's new "
           "files: "
        << llvm::toString(Pulled.takeError()) << "\n";
    return Status ? Status : 1;
  }
  std::string Staging = LocalSession + "/pulled";
  llvm::sys::fs::remove_directories(Staging);
  std::string Packed = LocalSession + "/pulled.tar";
  llvm::Error E = writeFileAtomic(Packed, *Pulled);
  if (std::error_code EC = llvm::sys::fs::create_directories(Staging); !E && EC)
    E = llvm::createStringError(EC, "cannot make %s: %s", Staging.c_str(),
                                EC.message().c_str());
  if (!E)
    E = runLocal({*Tar, "-xf", Packed, "-C", Staging, "--no-same-owner",
                  "--no-same-permissions"})
            .takeError();
  llvm::sys::fs::remove(Packed);
  if (!E)
    E = adoptPulledFiles(Staging, A.RunDir).takeError();
  if (E) {
    Err << "connectorc remote-session: cannot take the scratchpad's new "
           "files: "
        << llvm::toString(std::move(E)) << "\n";
    return Status ? Status : 1;
  }
  return Status;
}
