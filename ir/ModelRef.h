//===- ModelRef.h - the model references connector.json understands -----===//
//
// A model reference names an AI coding CLI and, optionally, a model for it:
// "claude", "haiku" (Claude Code with Haiku), "ollama/llama3", or an object
// with full control. This file knows the names; the provider registry in
// passes/ knows how each one becomes a command.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_MODELREF_H
#define CONNECTORC_IR_MODELREF_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace connectorc {

/// A resolved model reference: which provider's CLI, and which model (empty
/// for the provider's default).
struct ModelRef {
  std::string Provider;
  std::string Model;

  /// "provider" or "provider/model".
  std::string str() const {
    return Model.empty() ? Provider : Provider + "/" + Model;
  }
  bool operator==(const ModelRef &) const = default;
};

/// The providers connectorc knows by name ("custom" is for object refs with
/// their own command).
llvm::ArrayRef<llvm::StringRef> knownProviders();
/// Adds a provider a user registry file defines; its bare name becomes a
/// model reference to its default model. The registry calls it when it loads
/// a user file, before specs are checked; the set is process-wide.
void addKnownProvider(llvm::StringRef Name);
/// Adds a shorthand a user registry file defines, or redirects a built-in
/// one: \p Name then means \p Provider with \p Model. Process-wide too.
void addModelShorthand(llvm::StringRef Name, llvm::StringRef Provider,
                       llvm::StringRef Model);
/// True when \p Name is a provider connectorc knows (or "custom").
bool isKnownProvider(llvm::StringRef Name);
/// The short names that are model references by themselves ("claude", "haiku", ...).
llvm::ArrayRef<llvm::StringRef> knownModelShorthands();
/// Parses a string model reference. Returns std::nullopt when \p Text is not
/// one; \p BadProvider is set when it has the "provider/model" form but names
/// an unknown provider.
std::optional<ModelRef> parseModelRef(llvm::StringRef Text,
                                      bool *BadProvider = nullptr);

} // namespace connectorc

#endif
