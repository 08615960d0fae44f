//===- Sandbox.cpp - running an agent under bubblewrap --------------------===//
#include "runtime/Sandbox.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;

std::optional<std::string> runtime::findBwrap() {
  for (const char *Dir : {"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin"}) {
    std::string Path = std::string(Dir) + "/bwrap";
    if (llvm::sys::fs::can_execute(Path))
      return Path;
  }
  return std::nullopt;
}

llvm::Error runtime::probeBwrap(StringRef Bwrap) {
  llvm::SmallString<128> Err;
  if (std::error_code EC =
          llvm::sys::fs::createTemporaryFile("connectorc-bwrap", "txt", Err))
    return llvm::createStringError(EC, "cannot probe bwrap: %s",
                                   EC.message().c_str());
  StringRef Argv[] = {Bwrap,         "--ro-bind",       "/",
                      "/",           "--dev",           "/dev",
                      "--proc",      "/proc",           "--unshare-pid",
                      "--unshare-net", "--die-with-parent", "--new-session",
                      "--",          "/bin/true"};
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
  std::vector<std::string> A = {Bwrap.str(), "--ro-bind", "/", "/",
                                "--dev",     "/dev",      "--proc", "/proc",
                                "--tmpfs",   "/tmp"};
  auto Bind = [&A](StringRef Kind, StringRef Path) {
    A.insert(A.end(), {Kind.str(), Path.str(), Path.str()});
  };
  // A private /tmp hides what lives there; what the task must see stays.
  for (StringRef Dir : {StringRef(Paths.ProjectRoot), StringRef(Paths.RunDir),
                        llvm::sys::path::parent_path(Paths.Program)})
    if (Dir == "/tmp" || Dir.startswith("/tmp/"))
      Bind("--ro-bind", Dir);
  if (Paths.WorkDirIsProject) {
    Bind("--bind", Paths.WorkDir);
    // The repository's internals (hooks!) and connectorc's own directory
    // stay read-only inside the writable project.
    for (StringRef Sub : {".git", ".connector"}) {
      std::string P = Paths.WorkDir + "/" + Sub.str();
      if (llvm::sys::fs::exists(P))
        Bind("--ro-bind", P);
    }
  } else if (!Paths.WorkDir.empty()) {
    Bind("--bind", Paths.WorkDir);
  }
  Bind("--bind", Paths.RunDir + "/scratchpad");
  for (const std::string &W : Profile.Write) {
    std::string P = Paths.ProjectRoot + "/" + W;
    if (llvm::sys::fs::exists(P))
      Bind("--bind", P);
  }
  if (!Profile.Network)
    A.push_back("--unshare-net");
  A.insert(A.end(), {"--unshare-pid", "--unshare-ipc", "--unshare-uts",
                     "--die-with-parent", "--new-session", "--"});
  return A;
}
