//===- Ssh.cpp - reaching a plan's machines with the system ssh -----------===//
#include "runtime/remote/Ssh.h"

#include "ir/SshOption.h"
#include "runtime/support/Files.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/Program.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;

namespace {
/// %C (40) and ssh's temporary suffix while it binds (".XXXXXXXXXXXXXXXX").
/// (and a lane's "-NN", Remote.h).
constexpr size_t ControlNameLength = 1 + 40 + 3 + 17;

/// A directory ssh's option parser reads back as it is.
bool isPlainDir(StringRef Dir) {
  return Dir.startswith("/") &&
         Dir.find_first_of(" \t\n\"'%\\") == StringRef::npos;
}

std::vector<std::string> settingsArgs(const SshSettings &S) {
  std::vector<std::string> A;
  if (S.BatchMode)
    A.insert(A.end(), {"-o", "BatchMode=yes"});
  if (S.ConnectTimeoutS)
    A.insert(A.end(),
             {"-o", "ConnectTimeout=" + std::to_string(S.ConnectTimeoutS)});
  if (S.ControlDir.empty())
    return A;
  A.insert(A.end(), {"-o", "ControlMaster=auto", "-o",
                     "ControlPath=" + S.ControlDir + "/%C", "-o",
                     "ControlPersist=" + std::to_string(S.ControlPersistS)});
  return A;
}
} // namespace

llvm::Expected<std::vector<std::string>>
runtime::sshArgv(const ir::Machine &M, const SshSettings &S) {
  // The check's own settings come before the spec's options: ssh keeps the
  // first value given, so no option of the spec can make a check wait for a
  // password.
  llvm::Expected<std::vector<std::string>> Machine =
      ir::sshMachineArgs(M, settingsArgs(S));
  if (!Machine)
    return Machine.takeError();
  std::vector<std::string> A = {SshProgram};
  A.insert(A.end(), Machine->begin(), Machine->end());
  return A;
}

llvm::Expected<std::vector<std::string>>
runtime::sshCommandArgv(const ir::Machine &M, const SshSettings &S,
                        llvm::ArrayRef<std::string> RemoteWords) {
  llvm::Expected<std::vector<std::string>> A = sshArgv(M, S);
  if (!A)
    return A.takeError();
  // After the host, "--" ends ssh's options: the rest is the command.
  A->push_back("--");
  A->insert(A->end(), RemoteWords.begin(), RemoteWords.end());
  return A;
}

llvm::Expected<std::vector<std::string>>
runtime::sshControlCheckArgv(const ir::Machine &M, const SshSettings &S) {
  llvm::Expected<std::vector<std::string>> A = sshArgv(M, S);
  if (!A)
    return A.takeError();
  A->insert(A->end() - 1, {"-O", "check"});
  return A;
}

bool runtime::controlDirFits(StringRef Dir) {
  return Dir.size() + ControlNameLength < sizeof(sockaddr_un::sun_path);
}

std::string runtime::pickControlDir(StringRef XdgRuntimeDir, unsigned Uid) {
  std::string Xdg = (XdgRuntimeDir.rtrim('/') + "/connectorc-ssh").str();
  if (!XdgRuntimeDir.empty() && isPlainDir(Xdg) && controlDirFits(Xdg))
    return Xdg;
  return "/tmp/connectorc-ssh-" + std::to_string(Uid);
}

llvm::Expected<std::string> runtime::makeControlDir() {
  const char *Xdg = std::getenv("XDG_RUNTIME_DIR");
  std::string Dir = pickControlDir(Xdg ? Xdg : "", geteuid());
  // An $XDG_RUNTIME_DIR that is gone (a stale login's) is no reason not to
  // share connections: /tmp's directory serves.
  if (::mkdir(Dir.c_str(), 0700) != 0 && errno == ENOENT)
    Dir = pickControlDir("", geteuid());
  if (llvm::Error E =
          makePrivateDir(Dir, "the directory of ssh's shared connections"))
    return E;
  return Dir;
}

std::string runtime::lastNonBlankLine(llvm::StringRef Stderr) {
  llvm::SmallVector<llvm::StringRef, 16> Lines;
  Stderr.split(Lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef L : llvm::reverse(Lines))
    if (!L.trim().empty())
      return L.trim().str();
  return "";
}

llvm::Expected<Captured> runtime::runCaptured(llvm::ArrayRef<std::string> Argv,
                                              llvm::StringRef StdinPath,
                                              unsigned TimeoutS) {
  assert(!Argv.empty() && "nothing to run");
  TempFile Out, Err;
  if (llvm::Error E = Out.make("out"))
    return E;
  if (llvm::Error E = Err.make("err"))
    return E;
  std::vector<llvm::StringRef> Args(Argv.begin(), Argv.end());
  llvm::Optional<llvm::StringRef> Redirects[] = {StdinPath, Out.path(),
                                                 Err.path()};
  Captured C;
  C.Status = llvm::sys::ExecuteAndWait(Argv.front(), Args, llvm::None,
                                       Redirects, TimeoutS, 0, &C.Message);
  auto Buf = llvm::MemoryBuffer::getFile(Out.path(), /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf)
    return llvm::createStringError(Buf.getError(),
                                   "cannot read the output of %s",
                                   Argv.front().c_str());
  C.Out = std::move(*Buf);
  C.Err = Err.read();
  return C;
}
