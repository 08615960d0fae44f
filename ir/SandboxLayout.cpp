//===- SandboxLayout.cpp - the bwrap argv of a sandboxed task -------------===//
#include "ir/SandboxLayout.h"

#include "llvm/ADT/StringRef.h"

using namespace connectorc;
using namespace connectorc::ir;
using K = SandboxArg::Kind;
using W = SandboxArg::When;
using llvm::StringRef;

namespace {
/// Whether \p Path is \p Dir or below it.
bool within(StringRef Path, StringRef Dir) {
  Dir = Dir.rtrim('/');
  return Path == Dir || (Path.startswith(Dir) && Path.size() > Dir.size() &&
                         Path[Dir.size()] == '/');
}
} // namespace

bool ir::isHidden(StringRef Path, StringRef Home) {
  if (within(Path, "/tmp"))
    return true;
  return !Home.rtrim('/').empty() && within(Path, Home);
}

bool ir::isHomeOrAbsolute(StringRef Path) {
  return Path.startswith("/") || Path == "~" || Path.startswith("~/");
}

std::optional<std::string> ir::sensitivePath(StringRef Path) {
  // Places that hold credentials or keys, and what they hold.
  static constexpr std::pair<const char *, const char *> Places[] = {
      {"~/.ssh", "your SSH keys"},
      {"~/.aws", "your AWS credentials"},
      {"~/.gnupg", "your GnuPG keys"},
      {"~/.config/gh", "the GitHub CLI's token"},
      {"~/.git-credentials", "git's stored credentials"},
      {"~/.netrc", "your stored logins (.netrc)"},
      {"~/.docker/config.json", "your container registry logins"},
      {"~/.kube", "your Kubernetes credentials"},
      {"~/.config/gcloud", "your Google Cloud credentials"},
      {"~/.azure", "your Azure credentials"},
      {"~/.password-store", "your password store"},
  };
  std::string P = StringRef(Path).rtrim('/').str();
  if (P.empty()) // "/": the whole file system
    P = "/";
  for (auto [Place, What] : Places)
    // The place itself, inside it, or a directory holding it ("~",
    // "~/.config").
    if (within(P, Place) || within(Place, P == "/" ? "" : P) || P == "/")
      return std::string(What) + " (" + Place + ")";
  return std::nullopt;
}

std::optional<std::string> ir::expandUserPath(
    StringRef Entry, StringRef Home,
    llvm::function_ref<std::optional<std::string>(StringRef)> GetEnv) {
  StringRef Rest = Entry;
  if (Rest.consume_front("${")) {
    size_t End = Rest.find('}');
    auto [Name, Default] = Rest.take_front(End).split(":-");
    Rest = Rest.drop_front(End == StringRef::npos ? Rest.size() : End + 1);
    if (std::optional<std::string> Value = GetEnv(Name);
        Value && !Value->empty())
      return *Value + Rest.str();
    if (Default.empty())
      return std::nullopt;
    std::optional<std::string> Base = expandUserPath(Default, Home, GetEnv);
    return Base ? std::optional<std::string>(*Base + Rest.str()) : std::nullopt;
  }
  if (Rest.consume_front("$")) {
    StringRef Name = Rest.take_until([](char C) { return C == '/'; });
    std::optional<std::string> Value = GetEnv(Name);
    if (!Value || Value->empty())
      return std::nullopt;
    return *Value + Rest.drop_front(Name.size()).str();
  }
  if (Rest == "~" || Rest.startswith("~/")) {
    if (Home.empty())
      return std::nullopt;
    return Home.str() + Rest.drop_front().str();
  }
  return Entry.str();
}

std::vector<std::string> ir::bwrapProbeArgv(StringRef Bwrap) {
  return {Bwrap.str(),     "--ro-bind",     "/",
          "/",             "--dev",         "/dev",
          "--proc",        "/proc",         "--unshare-pid",
          "--unshare-net", "--die-with-parent", "--new-session",
          "--",            "/bin/true"};
}

std::vector<SandboxArg> ir::sandboxLayout(const SandboxProfile &Profile,
                                          const SandboxTask &Task) {
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
  // The home directory is an empty private one, as /tmp: the user's other
  // projects, keys and tokens are not there.
  Bind(K::Tmpfs, SandboxDir::Home, "", W::Always);
  // What the task must see of them comes back, read-only.
  for (SandboxDir D : {SandboxDir::ProjectRoot, SandboxDir::ProgramDir})
    Bind(K::RoBind, D, "", W::IfHidden);
  for (const std::string &Path : Profile.Read)
    Bind(K::RoBind,
         isHomeOrAbsolute(Path) ? SandboxDir::UserPath : SandboxDir::ProjectRoot,
         Path, W::IfExists);
  // The provider's own state (logins, settings, sessions), read-write: a
  // CLI that cannot write there does not start.
  for (const std::string &Path : Task.State)
    Bind(K::Bind, SandboxDir::UserPath, Path, W::IfExists);
  // Working in the project, the repository's internals (hooks!) stay
  // read-only.
  if (Task.WorkDirIsProject) {
    Bind(K::Bind, SandboxDir::WorkDir, "", W::Always);
    Bind(K::RoBind, SandboxDir::WorkDir, ".git", W::IfExists);
  }
  // connectorc's own directory is empty but for this run's (read-only but
  // for the worktree, scratchpad and mail), and read-only itself: no other
  // task's worktree, no other run.
  Bind(K::Tmpfs, SandboxDir::ProjectRoot, ".connector", W::IfExists);
  Bind(K::RoBind, SandboxDir::RunDir, "", W::Always);
  if (!Task.WorkDirIsProject)
    Bind(K::Bind, SandboxDir::WorkDir, "", W::Always);
  Bind(K::Bind, SandboxDir::RunDir, "scratchpad", W::Always);
  if (Task.Mailbox)
    Bind(K::Bind, SandboxDir::RunDir, "mail", W::IfExists);
  Bind(K::RemountRo, SandboxDir::ProjectRoot, ".connector", W::IfExists);
  for (const std::string &Path : Profile.Write)
    Bind(K::Bind,
         isHomeOrAbsolute(Path) ? SandboxDir::UserPath : SandboxDir::ProjectRoot,
         Path, W::IfExists);
  if (Profile.Network != SandboxNet::Full)
    Lit({"--unshare-net"});
  Lit({"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
       "--new-session", "--"});
  return A;
}
