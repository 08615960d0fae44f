//===- Sandbox.cpp - running an agent under bubblewrap --------------------===//
#include "runtime/sandbox/Sandbox.h"
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

namespace {
/// Whether \p Path is an executable file.
bool isProgram(const std::string &Path) {
  return !llvm::sys::fs::is_directory(Path) && llvm::sys::fs::can_execute(Path);
}

/// The outermost "node_modules" directory \p Real is in, or "".
std::string outermostNodeModules(StringRef Real) {
  size_t At = Real.find("/node_modules/");
  return At == StringRef::npos ? "" : Real.take_front(At + 13).str();
}
} // namespace

llvm::Expected<ResolvedProgram> runtime::resolveProgram(StringRef Name,
                                                        StringRef Path) {
  std::string Found;
  if (Name.contains('/')) {
    Found = Name.str();
  } else {
    llvm::SmallVector<StringRef, 16> Dirs;
    Path.split(Dirs, ':', -1, /*KeepEmpty=*/false);
    for (StringRef D : Dirs)
      if (std::string C = (D + "/" + Name).str(); isProgram(C)) {
        Found = C;
        break;
      }
  }
  llvm::SmallString<256> Real;
  if (Found.empty() || llvm::sys::fs::real_path(Found, Real) || !isProgram(
                                                                    Real.str().str()))
    return llvm::createStringError(
        std::errc::no_such_file_or_directory,
        "the agent's program '%s' is not an executable file%s", Name.str().c_str(),
        Name.contains('/') ? "" : " in its PATH");
  ResolvedProgram R;
  R.Path = Real.str().str();
  auto Keep = [&R](StringRef File) {
    std::string Mods = outermostNodeModules(File);
    R.Dirs.push_back(Mods.empty() ? llvm::sys::path::parent_path(File).str()
                                  : Mods);
  };
  Keep(R.Path);
  // A script's interpreter, as the kernel will look for it inside.
  auto Head = llvm::MemoryBuffer::getFileSlice(R.Path, 256, 0);
  if (!Head || !(*Head)->getBuffer().startswith("#!"))
    return R;
  StringRef Line = (*Head)->getBuffer().drop_front(2);
  Line = Line.take_until([](char C) { return C == '\n'; }).trim();
  auto [Interp, Arg] = Line.split(' ');
  Arg = Arg.trim();
  if (llvm::sys::path::filename(Interp) == "env" && !Arg.empty() &&
      !Arg.startswith("-")) {
    // "#!/usr/bin/env node": node from the same PATH.
    if (llvm::Expected<ResolvedProgram> I =
            resolveProgram(Arg.take_until([](char C) { return C == ' '; }),
                           Path)) {
      // Its prefix: /opt/node/bin/node needs /opt/node/lib too.
      StringRef Bin = llvm::sys::path::parent_path(I->Path);
      R.Dirs.push_back(llvm::sys::path::filename(Bin) == "bin"
                           ? llvm::sys::path::parent_path(Bin).str()
                           : Bin.str());
    } else {
      llvm::consumeError(I.takeError());
    }
  }
  return R;
}

std::vector<std::string>
runtime::sandboxArgv(StringRef Bwrap, const ir::SandboxProfile &Profile,
                     const SandboxPaths &Paths) {
  using ir::SandboxArg;
  std::vector<std::string> A = {Bwrap.str()};
  auto DirOf = [&Paths](const SandboxArg &Arg) -> std::string {
    switch (Arg.Dir) {
    case ir::SandboxDir::WorkDir:
      return Paths.WorkDir;
    case ir::SandboxDir::ProjectRoot:
      return Paths.ProjectRoot;
    case ir::SandboxDir::RunDir:
      return Paths.RunDir;
    case ir::SandboxDir::ProgramDir:
      return llvm::sys::path::parent_path(Paths.Program).str();
    case ir::SandboxDir::Home:
      return StringRef(Paths.Home).rtrim('/').str();
    case ir::SandboxDir::UserPath:
      return "";
    }
    return "";
  };
  auto Emit = [&](const SandboxArg &Arg, std::string Path) {
    bool Try = Arg.Cond == SandboxArg::When::IfExists && Paths.Remote;
    if ((Arg.Cond == SandboxArg::When::IfExists && !Try &&
         !llvm::sys::fs::exists(Path)) ||
        (Arg.Cond == SandboxArg::When::IfHidden &&
         !ir::isHidden(Path, Paths.Home)))
      return;
    if (Arg.K == SandboxArg::Kind::Tmpfs ||
        Arg.K == SandboxArg::Kind::RemountRo) {
      A.insert(A.end(), {Arg.K == SandboxArg::Kind::Tmpfs ? "--tmpfs"
                                                          : "--remount-ro",
                         Path});
      return;
    }
    bool Writable = Arg.K == SandboxArg::Kind::Bind;
    A.insert(A.end(), {Try ? (Writable ? "--bind-try" : "--ro-bind-try")
                           : (Writable ? "--bind" : "--ro-bind"),
                       Path, Path});
  };
  ir::SandboxTask Task;
  Task.WorkDirIsProject = Paths.WorkDirIsProject;
  Task.Mailbox = Paths.Mailbox;
  Task.State = Paths.State;
  auto NoEnv = [](StringRef) -> std::optional<std::string> {
    return std::nullopt;
  };
  for (const SandboxArg &Arg : ir::sandboxLayout(Profile, Task)) {
    if (Arg.K == SandboxArg::Kind::Literal) {
      A.push_back(Arg.Text);
      continue;
    }
    std::string Path;
    if (Arg.Dir == ir::SandboxDir::UserPath) {
      std::optional<std::string> P =
          Paths.GetEnv ? ir::expandUserPath(Arg.Sub, Paths.Home, Paths.GetEnv)
                       : ir::expandUserPath(Arg.Sub, Paths.Home, NoEnv);
      if (!P || !llvm::sys::path::is_absolute(*P))
        continue;
      Path = *P;
    } else {
      Path = DirOf(Arg);
      if (Path.empty() || Path == "/")
        continue;
      if (!Arg.Sub.empty())
        Path += "/" + Arg.Sub;
    }
    Emit(Arg, std::move(Path));
    // The program's installation, right after its directory.
    if (Arg.Dir == ir::SandboxDir::ProgramDir)
      for (const std::string &Dir : Paths.Keep)
        Emit(Arg, Dir);
  }
  return A;
}
