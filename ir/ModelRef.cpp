//===- ModelRef.cpp - parsing model reference strings ---------------------===//
#include "ir/ModelRef.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/StringSaver.h"

#include <vector>

using namespace connectorc;

static std::vector<llvm::StringRef> &providers() {
  static std::vector<llvm::StringRef> P = {
      "claude", "codex", "gemini", "qwen", "opencode",
      "aider",  "ollama", "sim",   "custom"};
  return P;
}

/// A short name and what it means: a vendor CLI with its default model, or
/// a provider with a named model.
struct Shorthand {
  llvm::StringRef Name, Provider, Model;
};

static std::vector<Shorthand> &shorthands() {
  static std::vector<Shorthand> S = {
      {"claude", "claude", ""},
      {"codex", "codex", ""},
      {"gemini", "gemini", ""},
      {"qwen", "qwen", ""},
      {"opencode", "opencode", ""},
      {"aider", "aider", ""},
      {"sim", "sim", ""},
      {"haiku", "claude", "haiku"},
      {"sonnet", "claude", "sonnet"},
      {"opus", "claude", "opus"},
  };
  return S;
}

/// The names shorthands() has, in its order (for suggestions).
static std::vector<llvm::StringRef> &shorthandNames() {
  static std::vector<llvm::StringRef> Names = [] {
    std::vector<llvm::StringRef> N;
    for (const Shorthand &S : shorthands())
      N.push_back(S.Name);
    return N;
  }();
  return Names;
}

/// Keeps \p S alive as long as the process: the tables are process-wide.
static llvm::StringRef save(llvm::StringRef S) {
  static llvm::BumpPtrAllocator Alloc;
  static llvm::StringSaver Saver(Alloc);
  return Saver.save(S);
}

void connectorc::addKnownProvider(llvm::StringRef Name) {
  if (isKnownProvider(Name))
    return;
  providers().push_back(save(Name));
  // Its bare name means its default model, as "codex" does.
  if (!llvm::is_contained(shorthandNames(), Name))
    addModelShorthand(Name, Name, "");
}

void connectorc::addModelShorthand(llvm::StringRef Name,
                                   llvm::StringRef Provider,
                                   llvm::StringRef Model) {
  Shorthand New{save(Name), save(Provider), save(Model)};
  for (Shorthand &S : shorthands())
    if (S.Name == Name) {
      S = New;
      return;
    }
  std::vector<llvm::StringRef> &Names = shorthandNames(); // made before
  shorthands().push_back(New);
  Names.push_back(New.Name);
}

llvm::ArrayRef<llvm::StringRef> connectorc::knownProviders() {
  return providers();
}

bool connectorc::isKnownProvider(llvm::StringRef Name) {
  return llvm::is_contained(providers(), Name);
}

llvm::ArrayRef<llvm::StringRef> connectorc::knownModelShorthands() {
  return shorthandNames();
}

std::optional<ModelRef> connectorc::parseModelRef(llvm::StringRef Text,
                                                  bool *BadProvider) {
  if (BadProvider)
    *BadProvider = false;
  for (const Shorthand &S : shorthands())
    if (S.Name == Text)
      return ModelRef{S.Provider.str(), S.Model.str()};
  auto [Provider, Model] = Text.split('/');
  if (Model.empty() || Provider.empty() || Provider == "custom")
    return std::nullopt;
  if (!isKnownProvider(Provider)) {
    if (BadProvider)
      *BadProvider = true;
    return std::nullopt;
  }
  return ModelRef{Provider.str(), Model.str()};
}
