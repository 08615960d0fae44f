//===- Registry.h - how each model reference becomes a command ---*- C++ -*-===//
//
// The provider registry is data: a JSON document embedded in the binary
// (passes/providers.json, documented in docs/providers.md) that a user file
// can extend or override, provider by provider and model by model. For each
// provider it gives the executable and argv, how the prompt is passed, how
// failures look, and each model's price and capability tier.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_PASSES_REGISTRY_H
#define CONNECTORC_PASSES_REGISTRY_H

#include "ir/Diagnostics.h"
#include "ir/Plan.h"
#include "ir/SandboxLayout.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace connectorc {

struct RegistryModel {
  std::string Name;
  ir::Price Cost;
  ir::Tier ModelTier = ir::Tier::Balanced;
};

struct Provider {
  std::string Name;
  std::string Description;
  std::string Executable;
  std::vector<std::string> Args; ///< may hold {prompt} and {model}
  ir::PromptVia Via = ir::PromptVia::Arg;
  std::string ReadyPattern, IdlePattern;
  /// "interactive": how it runs in its full-screen interface; its Args may
  /// hold {model} and {session}.
  std::optional<ir::InteractiveMode> Interactive;
  /// ir::ModelBinding::SessionArgs and ResumeArgs.
  std::vector<std::string> SessionArgs, ResumeArgs;
  std::string AnswerJsonField; ///< see ir::ModelBinding::AnswerJsonField
  ir::EnvList AnswerJsonWhere;
  ir::UsageFields Usage;
  ir::EnvList SetEnv;
  std::string DefaultModel;
  std::vector<std::string> EnvKeys;
  /// The CLI's own login files, as written in the registry ("~/...",
  /// "${CODEX_HOME:-~/.codex}/auth.json"): see expandCredentialPath.
  std::vector<std::string> CredentialFiles;
  /// ir::ModelBinding::SandboxState, SandboxEnv and Endpoints.
  std::vector<std::string> SandboxState, SandboxEnv, Endpoints;
  std::vector<std::pair<std::string, std::string>> Install; ///< npm → package
  std::vector<ir::FailurePattern> Failures;
  std::uint64_t DefaultOutputTokens = 2000;
  std::vector<RegistryModel> Models;

  const RegistryModel *findModel(llvm::StringRef Name) const;
};

class ProviderRegistry {
public:
  /// The built-in registry, then \p UserFile over it when not empty (an
  /// explicit --providers file must exist), else the user's
  /// ~/.config/connectorc/providers.json when it exists. Problems in a user
  /// file are reported to \p Diags with positions; returns std::nullopt then.
  static std::optional<ProviderRegistry> load(llvm::StringRef UserFile,
                                              DiagnosticEngine &Diags);

  const Provider *find(llvm::StringRef Name) const;
  /// "haiku" → claude's model id, when \p Provider has that shorthand.
  std::optional<std::string> shorthand(llvm::StringRef Provider,
                                       llvm::StringRef Name) const;
  std::vector<std::string> providerNames() const;
  /// The file a user registry was read from, if any.
  const std::string &userFile() const { return UserFile; }

  /// Builds the binding for \p Provider with \p Model (empty: its default).
  ir::ModelBinding bind(const Provider &P, llvm::StringRef Model) const;

private:
  bool merge(llvm::StringRef Text, llvm::StringRef Name, unsigned BufferId,
             DiagnosticEngine *Diags);

  llvm::StringMap<Provider> Providers;
  std::vector<std::string> Order;
  llvm::StringMap<std::pair<std::string, std::string>> Shorthands;
  std::string UserFile;
};

/// A `credential_files` (or `sandbox.state`) entry as a path: see
/// ir::expandUserPath.
inline std::optional<std::string> expandCredentialPath(
    llvm::StringRef Entry, llvm::StringRef Home,
    llvm::function_ref<std::optional<std::string>(llvm::StringRef)> GetEnv) {
  return ir::expandUserPath(Entry, Home, GetEnv);
}

/// The embedded registry and its schema (generated sources).
llvm::StringRef builtinProvidersText();
llvm::StringRef providersSchemaText();

} // namespace connectorc

#endif
