//===- DoctorChecks.h - what `connectorc doctor` checks ----------*- C++
//-*-===//
//
// One function per check: is a program on PATH and does it answer
// --version, which credentials a provider has, whether a model is in the
// registry, whether bubblewrap can make its namespaces, whether git is
// there. Each returns a Check; Doctor.cpp decides which to run and prints
// them. No check ever reads or returns the value of a credential.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_TOOLS_DOCTORCHECKS_H
#define CONNECTORC_TOOLS_DOCTORCHECKS_H

#include "passes/Registry.h"

#include "llvm/Support/JSON.h"

#include <string>
#include <utility>
#include <vector>

namespace connectorc::driver {

enum class CheckStatus {
  Ok,
  Missing, ///< something is not there or does not work
  Warning, ///< may be fine, may not: doctor cannot tell
  Error    ///< the check itself could not be done
};

/// "ok", "missing", "warning", "error".
llvm::StringRef checkStatusName(CheckStatus S);

/// The outcome of one check.
struct Check {
  std::string Name; ///< "executable", "credentials", "model", "bwrap", …
  CheckStatus Status = CheckStatus::Ok;
  std::string Message;
  std::string Fix; ///< what to run or do about it; empty when nothing
  /// Check-specific members of its --format=json object (path, version, …).
  llvm::json::Object Extra;
};

/// What a provider's program is run with and what it is checked against.
struct ProgramSpec {
  std::string Executable; ///< as the binding or registry has it
  std::vector<std::pair<std::string, std::string>> Install;
  /// Run it with --version: not for a spec's custom command, which may be
  /// any script and take "--version" for a prompt.
  bool ProbeVersion = true;
};

/// Seconds a program gets to answer --version.
inline constexpr unsigned VersionTimeoutS = 10;

/// Finds \p P's executable as the runtime does ("{connectorc}" is \p SelfExe,
/// a name is looked up on PATH, a path is taken as it is) and runs it with
/// --version (when P.ProbeVersion), stdin from /dev/null, at most
/// VersionTimeoutS seconds.
Check checkExecutable(const ProgramSpec &P, llvm::StringRef SelfExe);

/// Which of \p EnvKeys are set (names only) and which of \p CredentialFiles
/// exist. \p Program names the CLI in the fix text.
Check checkCredentials(llvm::StringRef Program,
                       const std::vector<std::string> &EnvKeys,
                       const std::vector<std::string> &CredentialFiles);

/// Whether \p Model is one of \p P's models in the registry.
Check checkModel(const Provider &P, llvm::StringRef Model);

/// Whether bwrap is found where the runtime looks and can make the
/// namespaces a sandbox uses, with the fix for what is not.
Check checkSandbox();

/// Whether git is on PATH, and its version. Missing is \p MissingStatus.
Check checkGit(CheckStatus MissingStatus);

/// The shell commands that install a program, from a registry `install`
/// ("npm install -g PKG", "see URL", …).
std::vector<std::string> installCommands(
    const std::vector<std::pair<std::string, std::string>> &Install);

} // namespace connectorc::driver

#endif
