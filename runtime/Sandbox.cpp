//===- Sandbox.cpp - running an agent under bubblewrap --------------------===//
#include "runtime/Sandbox.h"
#include "ir/SandboxLayout.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;

llvm::Expected<std::string> runtime::findBwrap() {
  if (const char *Override = std::getenv("CONNECTOR_BWRAP")) {
    StringRef Path = Override;
    if (!llvm::sys::path::is_absolute(Path))
      return llvm::createStringError(
          std::errc::invalid_argument,
          "CONNECTOR_BWRAP must be an absolute path, not '%s'", Override);
    if (llvm::sys::fs::is_directory(Path) ||
        !llvm::sys::fs::can_execute(Path))
      return llvm::createStringError(
          std::errc::no_such_file_or_directory,
          "bubblewrap is not at %s (CONNECTOR_BWRAP): no executable there",
          Override);
    return Path.str();
  }
  for (const char *Dir : {"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin"}) {
    std::string Path = std::string(Dir) + "/bwrap";
    if (llvm::sys::fs::can_execute(Path))
      return Path;
  }
  return llvm::createStringError(
      std::errc::no_such_file_or_directory,
      "bubblewrap (bwrap) is not installed in /usr/bin, /bin, /usr/local/bin "
      "or /usr/sbin; install it (apt-get install bubblewrap)");
}

llvm::Error runtime::probeBwrap(StringRef Bwrap) {
  llvm::SmallString<128> Err;
  if (std::error_code EC =
          llvm::sys::fs::createTemporaryFile("connectorc-bwrap", "txt", Err))
    return llvm::createStringError(EC, "cannot probe bwrap: %s",
                                   EC.message().c_str());
  std::vector<std::string> Words = bwrapProbeArgv(Bwrap);
  std::vector<StringRef> Argv(Words.begin(), Words.end());
  llvm::Optional<StringRef> Redirects[] = {StringRef(""), StringRef(""),
                                           StringRef(Err)};
  std::string Message;
  int RC = llvm::sys::ExecuteAndWait(Bwrap, Argv, llvm::None, Redirects,
                                     /*SecondsToWait=*/30, 0, &Message);
  auto Buf = llvm::MemoryBuffer::getFile(Err);
  std::string Said = Buf ? (*Buf)->getBuffer().trim().str() : "";
  llvm::sys::fs::remove(Err);
  if (RC == 0)
    return llvm::Error::success();
  return llvm::createStringError(
      std::errc::operation_not_permitted,
      "%s cannot make its namespaces here (exit %d): %s", Bwrap.str().c_str(),
      RC, (Said.empty() ? Message : Said).c_str());
}

std::vector<std::string>
runtime::sandboxArgv(StringRef Bwrap, const ir::SandboxProfile &Profile,
                     const SandboxPaths &Paths) {
  using ir::SandboxArg;
  std::vector<std::string> A = {Bwrap.str()};
  auto DirOf = [&Paths](ir::SandboxDir D) -> std::string {
    switch (D) {
    case ir::SandboxDir::WorkDir:
      return Paths.WorkDir;
    case ir::SandboxDir::ProjectRoot:
      return Paths.ProjectRoot;
    case ir::SandboxDir::RunDir:
      return Paths.RunDir;
    case ir::SandboxDir::ProgramDir:
      return llvm::sys::path::parent_path(Paths.Program).str();
    }
    return "";
  };
  for (const SandboxArg &Arg :
       ir::sandboxLayout(Profile, Paths.WorkDirIsProject, Paths.Mailbox)) {
    if (Arg.K == SandboxArg::Kind::Literal) {
      A.push_back(Arg.Text);
      continue;
    }
    std::string Path = DirOf(Arg.Dir);
    if (Path.empty())
      continue;
    if (!Arg.Sub.empty())
      Path += "/" + Arg.Sub;
    bool Try = Arg.Cond == SandboxArg::When::IfExists && Paths.Remote;
    if ((Arg.Cond == SandboxArg::When::IfExists && !Try &&
         !llvm::sys::fs::exists(Path)) ||
        (Arg.Cond == SandboxArg::When::IfInTmp && !ir::inTmp(Path)))
      continue;
    bool Writable = Arg.K == SandboxArg::Kind::Bind;
    A.insert(A.end(), {Try ? (Writable ? "--bind-try" : "--ro-bind-try")
                           : (Writable ? "--bind" : "--ro-bind"),
                       Path, Path});
  }
  return A;
}
