//===- SandboxLayout.cpp - the bwrap argv of a sandboxed task -------------===//
#include "ir/SandboxLayout.h"

using namespace connectorc;
using namespace connectorc::ir;
using K = SandboxArg::Kind;
using W = SandboxArg::When;

bool ir::inTmp(llvm::StringRef Path) {
  return Path == "/tmp" || Path.startswith("/tmp/");
}

std::vector<std::string> ir::bwrapProbeArgv(llvm::StringRef Bwrap) {
  return {Bwrap.str(),     "--ro-bind",     "/",
          "/",             "--dev",         "/dev",
          "--proc",        "/proc",         "--unshare-pid",
          "--unshare-net", "--die-with-parent", "--new-session",
          "--",            "/bin/true"};
}

std::vector<SandboxArg> ir::sandboxLayout(const SandboxProfile &Profile,
                                          bool WorkDirIsProject, bool Mailbox) {
  std::vector<SandboxArg> A;
  auto Lit = [&A](std::initializer_list<const char *> Words) {
    for (const char *Word : Words)
      A.push_back({K::Literal, Word, SandboxDir::WorkDir, "", W::Always});
  };
  auto Bind = [&A](K Kind, SandboxDir Dir, std::string Sub, W Cond) {
    A.push_back({Kind, "", Dir, std::move(Sub), Cond});
  };
  Lit({"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs",
       "/tmp"});
  // A private /tmp hides what lives there; what the task must see stays.
  for (SandboxDir D :
       {SandboxDir::ProjectRoot, SandboxDir::RunDir, SandboxDir::ProgramDir})
    Bind(K::RoBind, D, "", W::IfInTmp);
  Bind(K::Bind, SandboxDir::WorkDir, "", W::Always);
  // The repository's internals (hooks!) and connectorc's own directory stay
  // read-only inside the writable project.
  if (WorkDirIsProject)
    for (const char *Sub : {".git", ".connector"})
      Bind(K::RoBind, SandboxDir::WorkDir, Sub, W::IfExists);
  Bind(K::Bind, SandboxDir::RunDir, "scratchpad", W::Always);
  if (Mailbox)
    Bind(K::Bind, SandboxDir::RunDir, "mail", W::IfExists);
  for (const std::string &Path : Profile.Write)
    Bind(K::Bind, SandboxDir::ProjectRoot, Path, W::IfExists);
  if (!Profile.Network)
    Lit({"--unshare-net"});
  Lit({"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
       "--new-session", "--"});
  return A;
}
