//===- ModelRef.cpp - parsing model reference strings ---------------------===//
#include "ir/ModelRef.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/StringSaver.h"

#include <vector>

using namespace connectorc;

static std::vector<llvm::StringRef> &providers() {
  static std::vector<llvm::StringRef> P = {"claude", "codex", "gemini", "aider",
                                           "ollama", "sim",   "custom"};
  return P;
}

void connectorc::addKnownProvider(llvm::StringRef Name) {
  static llvm::BumpPtrAllocator Alloc;
  static llvm::StringSaver Saver(Alloc);
  if (!isKnownProvider(Name))
    providers().push_back(Saver.save(Name));
}

/// Shorthands and what they mean: a vendor CLI with its default model, or
/// Claude Code with a named model.
static const struct {
  llvm::StringRef Name, Provider, Model;
} Shorthands[] = {
    {"claude", "claude", ""}, {"codex", "codex", ""},   {"gemini", "gemini", ""},
    {"aider", "aider", ""},   {"sim", "sim", ""},       {"haiku", "claude", "haiku"},
    {"sonnet", "claude", "sonnet"}, {"opus", "claude", "opus"},
};

llvm::ArrayRef<llvm::StringRef> connectorc::knownProviders() {
  return providers();
}

bool connectorc::isKnownProvider(llvm::StringRef Name) {
  return llvm::is_contained(providers(), Name);
}

llvm::ArrayRef<llvm::StringRef> connectorc::knownModelShorthands() {
  static const llvm::StringRef Names[] = {"claude", "codex", "gemini", "aider",
                                          "sim",    "haiku", "sonnet", "opus"};
  return Names;
}

std::optional<ModelRef> connectorc::parseModelRef(llvm::StringRef Text,
                                                  bool *BadProvider) {
  if (BadProvider)
    *BadProvider = false;
  for (const auto &S : Shorthands)
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
