//===- DoctorChecks.cpp - what `connectorc doctor` checks -----------------===//
#include "DoctorChecks.h"

#include "ir/Fmt.h"
#include "runtime/session/AnsiStrip.h"
#include "runtime/sandbox/Sandbox.h"
#include "runtime/remote/Ssh.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace connectorc;
using namespace connectorc::driver;
using llvm::StringRef;
namespace json = llvm::json;

llvm::StringRef driver::checkStatusName(CheckStatus S) {
  switch (S) {
  case CheckStatus::Ok:
    return "ok";
  case CheckStatus::Missing:
    return "missing";
  case CheckStatus::Warning:
    return "warning";
  case CheckStatus::Error:
    return "error";
  }
  llvm_unreachable("unknown check status");
}

namespace {
/// An environment variable's value, when it is set and not empty.
std::optional<std::string> getEnv(StringRef Name) {
  const char *V = std::getenv(Name.str().c_str());
  if (!V || !*V)
    return std::nullopt;
  return std::string(V);
}

/// "A", "A or B", "A, B or C".
std::string orList(llvm::ArrayRef<std::string> Items) {
  if (Items.size() <= 1)
    return Items.empty() ? "" : Items.front();
  return llvm::join(Items.drop_back(), ", ") + " or " + Items.back();
}

/// The first non-blank line of a program's output, without escape
/// sequences or other control characters, at most \p Max characters.
std::string firstLine(StringRef Text, size_t Max = 200) {
  std::string Plain = runtime::stripAnsi(Text);
  StringRef Rest = Plain;
  while (!Rest.empty()) {
    auto [Line, Tail] = Rest.split('\n');
    Rest = Tail;
    std::string Clean;
    for (char C : Line.trim())
      if (static_cast<unsigned char>(C) >= 0x20 && C != 0x7f)
        Clean += C;
    if (!Clean.empty())
      return Clean.substr(0, Max);
  }
  return "";
}

/// Where the runtime would find \p Name: a path as it is, a name on PATH.
std::optional<std::string> findProgram(StringRef Name) {
  if (Name.contains('/')) {
    if (llvm::sys::fs::is_directory(Name) || !llvm::sys::fs::can_execute(Name))
      return std::nullopt;
    return Name.str();
  }
  llvm::ErrorOr<std::string> Path = llvm::sys::findProgramByName(Name);
  if (!Path)
    return std::nullopt;
  return *Path;
}

/// Runs `Path --version` into \p C: its first line, or why it did not
/// answer (a warning: the program is there, it may still run tasks).
void probeVersion(StringRef Path, Check &C) {
  C.Extra["path"] = Path.str();
  C.Extra["version"] = nullptr;
  llvm::Expected<runtime::Captured> R =
      runtime::runCaptured({Path.str(), "--version"}, "", VersionTimeoutS);
  if (!R) {
    C.Status = CheckStatus::Error;
    C.Message = fmt::format("{}: cannot run --version: {}", Path.str(),
                            llvm::toString(R.takeError()));
    return;
  }
  StringRef Out = R->Out ? R->Out->getBuffer() : "";
  std::string Line = firstLine(Out);
  if (Line.empty())
    Line = firstLine(R->Err);
  if (R->Status != 0) {
    std::string Why = R->Status > 0 ? fmt::format("exited with {}", R->Status)
                                    : firstLine(R->Message);
    std::string Said = firstLine(runtime::lastNonBlankLine(R->Err));
    C.Status = CheckStatus::Warning;
    C.Message = fmt::format("{}: `--version` failed ({}){}{}", Path.str(), Why,
                            Said.empty() ? "" : ": ", Said);
    return;
  }
  C.Extra["version"] = Line;
  C.Message =
      Line.empty() ? Path.str() : fmt::format("{}: {}", Path.str(), Line);
}

/// The first line of /proc/sys/\p Key, or "" when it cannot be read.
std::string sysctlValue(StringRef Key) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> B =
      llvm::MemoryBuffer::getFile("/proc/sys/" + Key, /*IsText=*/true);
  return B ? (*B)->getBuffer().trim().str() : "";
}

/// How to let bwrap make user namespaces, from the sysctls that forbid it.
std::string userNamespaceFix() {
  std::vector<std::string> Fixes;
  if (sysctlValue("kernel/apparmor_restrict_unprivileged_userns") == "1")
    Fixes.push_back("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 "
                    "(or an AppArmor profile that lets bwrap use user "
                    "namespaces)");
  if (sysctlValue("kernel/unprivileged_userns_clone") == "0")
    Fixes.push_back("sysctl -w kernel.unprivileged_userns_clone=1");
  if (sysctlValue("user/max_user_namespaces") == "0")
    Fixes.push_back("sysctl -w user.max_user_namespaces=15000");
  if (!Fixes.empty())
    return "as root: " + llvm::join(Fixes, "; ") +
           ", and persist it in /etc/sysctl.d/; or run with --no-sandbox";
  return "allow unprivileged user namespaces, as root: sysctl -w "
         "kernel.unprivileged_userns_clone=1 (Debian) or sysctl -w "
         "kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu), and "
         "persist it in /etc/sysctl.d/; in a container, start it with user "
         "namespaces allowed; or run with --no-sandbox";
}
} // namespace

std::vector<std::string> driver::installCommands(
    const std::vector<std::pair<std::string, std::string>> &Install) {
  std::vector<std::string> Out;
  for (const auto &[Manager, Package] : Install) {
    std::string Command = llvm::StringSwitch<std::string>(Manager)
                              .Case("npm", "npm install -g " + Package)
                              .Case("pip", "pip install " + Package)
                              .Case("pipx", "pipx install " + Package)
                              .Case("uv", "uv tool install " + Package)
                              .Case("brew", "brew install " + Package)
                              .Case("apt", "apt-get install " + Package)
                              .Case("cargo", "cargo install " + Package)
                              .Case("go", "go install " + Package + "@latest")
                              .Case("url", "see " + Package)
                              .Case("note", Package)
                              .Default("");
    if (!Command.empty())
      Out.push_back(std::move(Command));
  }
  return Out;
}

Check driver::checkExecutable(const ProgramSpec &P, StringRef SelfExe) {
  Check C;
  C.Name = "executable";
  std::string Name = P.Executable;
  // The runtime replaces "{connectorc}" wherever it is in an argument.
  for (size_t At; (At = Name.find("{connectorc}")) != std::string::npos;)
    Name.replace(At, 12, SelfExe.str());
  C.Extra["program"] = P.Executable;
  std::optional<std::string> Path = findProgram(Name);
  if (Path && !P.ProbeVersion) {
    C.Extra["path"] = *Path;
    C.Extra["version"] = nullptr;
    C.Message = *Path + " (a custom command: not run with --version)";
    return C;
  }
  if (Path) {
    probeVersion(*Path, C);
    return C;
  }
  C.Status = CheckStatus::Missing;
  C.Extra["path"] = nullptr;
  C.Extra["version"] = nullptr;
  C.Message = StringRef(Name).contains('/')
                  ? fmt::format("{} is not an executable file", Name)
                  : fmt::format("{} is not on PATH", Name);
  std::vector<std::string> Install = installCommands(P.Install);
  C.Fix = Install.empty() ? "install it, or set the provider's \"executable\" "
                            "in your registry file (--providers)"
                          : llvm::join(Install, ", or ");
  return C;
}

Check driver::checkCredentials(
    StringRef Program, const std::vector<std::string> &EnvKeys,
    const std::vector<std::string> &CredentialFiles) {
  Check C;
  C.Name = "credentials";
  std::vector<std::string> Set, Found, Absent;
  for (const std::string &K : EnvKeys)
    if (getEnv(K))
      Set.push_back(K);
  llvm::SmallString<128> Home;
  llvm::sys::path::home_directory(Home);
  json::Array Files;
  for (const std::string &Entry : CredentialFiles) {
    std::optional<std::string> Path = expandCredentialPath(Entry, Home, getEnv);
    bool Exists = Path && llvm::sys::fs::is_regular_file(*Path);
    if (Path)
      (Exists ? Found : Absent).push_back(*Path);
    Files.push_back(json::Object{{"entry", Entry},
                                 {"path", Path ? json::Value(*Path) : nullptr},
                                 {"found", Exists}});
  }
  C.Extra["env"] = json::Array(EnvKeys);
  C.Extra["env_set"] = json::Array(Set);
  C.Extra["files"] = std::move(Files);
  if (EnvKeys.empty() && CredentialFiles.empty()) {
    C.Message = "none needed";
    return C;
  }
  std::vector<std::string> Have;
  for (const std::string &K : Set)
    Have.push_back(K + " is set");
  for (const std::string &F : Found)
    Have.push_back("login file " + F);
  if (!Have.empty()) {
    C.Message = llvm::join(Have, "; ");
    return C;
  }
  // A CLI may be logged in where doctor cannot see (the macOS keychain, a
  // cloud SDK's own files), or need nothing (a local server): a warning.
  C.Status = CheckStatus::Warning;
  std::vector<std::string> None;
  if (!EnvKeys.empty())
    None.push_back(EnvKeys.size() == 1
                       ? EnvKeys.front() + " is not set"
                       : "none of " + llvm::join(EnvKeys, ", ") + " is set");
  if (!Absent.empty())
    None.push_back("no " + llvm::join(Absent, ", "));
  C.Message = "none found: " + llvm::join(None, "; ");
  C.Fix = EnvKeys.empty() ? "" : "set " + orList(EnvKeys);
  if (!Absent.empty())
    C.Fix += fmt::format("{}log in with `{}` (it writes {})",
                         C.Fix.empty() ? "" : ", or ", Program.str(),
                         orList(Absent));
  return C;
}

Check driver::checkModel(const Provider &P, StringRef Model) {
  Check C;
  C.Name = "model";
  bool Listed = P.findModel(Model) != nullptr;
  C.Extra["model"] = Model.str();
  C.Extra["listed"] = Listed;
  if (Listed) {
    C.Message = fmt::format("{}: listed in the registry", Model.str());
    return C;
  }
  C.Status = CheckStatus::Warning;
  C.Message = fmt::format(
      "{}: not in the registry: the CLI will be asked for it as given",
      Model.str());
  C.Fix = fmt::format("check the name, or add it to \"{}\"'s \"models\" in "
                      "your registry file (--providers) to price it",
                      P.Name);
  return C;
}

Check driver::checkSandbox() {
  Check C;
  C.Name = "bwrap";
  llvm::Expected<std::string> Bwrap = runtime::findBwrap();
  if (!Bwrap) {
    C.Status = CheckStatus::Missing;
    C.Extra["path"] = nullptr;
    C.Message = llvm::toString(Bwrap.takeError());
    C.Fix = "apt-get install bubblewrap (dnf install bubblewrap, pacman -S "
            "bubblewrap), or run with --no-sandbox";
    return C;
  }
  C.Extra["path"] = *Bwrap;
  if (llvm::Error E = runtime::probeBwrap(*Bwrap)) {
    C.Status = CheckStatus::Missing;
    C.Message = firstLine(llvm::toString(std::move(E)), 1000);
    C.Fix = userNamespaceFix();
    return C;
  }
  C.Message = *Bwrap + ": user namespaces usable";
  return C;
}

Check driver::checkGit(CheckStatus MissingStatus) {
  Check C;
  C.Name = "git";
  if (std::optional<std::string> Path = findProgram("git")) {
    probeVersion(*Path, C);
    return C;
  }
  C.Status = MissingStatus;
  C.Extra["path"] = nullptr;
  C.Extra["version"] = nullptr;
  C.Message = "git is not on PATH: connectorc makes worktrees without it "
              "(libgit2), but agents and setup commands in a worktree "
              "usually run it";
  C.Fix = "apt-get install git (or brew install git)";
  return C;
}
