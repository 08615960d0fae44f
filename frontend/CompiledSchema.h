//===- CompiledSchema.h - a one-pass yes/no against the JSON Schema -*- C++
//-*-===//
//
// valijson is connectorc's reference validator: it finds and explains every
// violation. On a valid 12 MB spec it also cost 0.85 G of lint's 1.85 G
// instructions (callgrind), mostly copying a vector<string> error context for
// every value it descends into; the patterns and closed objects it leaves to
// Schema.cpp's ShapeWalker cost another 0.27 G (llvm::Regex per string).
// CompiledSchema answers a narrower question in one pass over the document,
// with no per-value allocation: does this value certainly conform? It compiles
// the draft-07 keywords connector.schema.json uses into a table of nodes once;
// a schema with any other keyword compiles to "incomplete", whose answer is
// always no. Every "no" sends the caller to valijson, so a wrong "no" costs
// time, never a diagnostic; test/unit/CompiledSchemaTest.cpp cross-checks the
// two on every example, every lint test input and their mutations.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_FRONTEND_COMPILEDSCHEMA_H
#define CONNECTORC_FRONTEND_COMPILEDSCHEMA_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Regex.h"

#include <rapidjson/document.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace connectorc {

/// A draft-07 schema compiled for a quick conformance check.
class CompiledSchema {
public:
  /// Compiles \p Schema, the root of a schema document with "definitions".
  /// The compiled form refers to \p Schema's strings: it must outlive this.
  explicit CompiledSchema(const rapidjson::Value &Schema);
  ~CompiledSchema();
  CompiledSchema(const CompiledSchema &) = delete;
  CompiledSchema &operator=(const CompiledSchema &) = delete;

  /// False when the schema uses a construct this class does not check
  /// exactly; conforms() then always says no.
  bool isComplete() const { return Complete; }

  /// True when \p V certainly conforms to the schema. False when it does not,
  /// or when this check cannot tell exactly (the caller then asks valijson).
  bool conforms(const rapidjson::Value &V) const;

  /// One compiled `pattern`. Public for the unit test of its fast path.
  class Pattern {
  public:
    /// Compiles \p Source (POSIX ERE, as llvm::Regex reads it). Returns
    /// nothing when llvm::Regex cannot compile it.
    static std::optional<Pattern> compile(llvm::StringRef Source);
    /// Whether \p S contains a match, as llvm::Regex::match says.
    bool matches(llvm::StringRef S) const;
    /// True when matching needs no regex: "^[class]+$" or "^[class]*$".
    bool isCharacterClass() const { return !Re; }

  private:
    bool parseCharacterClass(llvm::StringRef Source);

    std::array<bool, 256> InClass{};
    bool AllowEmpty = false;
    std::unique_ptr<llvm::Regex> Re; ///< null for a character class
  };

private:
  struct Node;
  struct Property {
    llvm::StringRef Name;
    uint32_t Node;
  };
  class Compiler;
  class Walk;

  bool Complete = false;
  uint32_t Root = 0;
  std::vector<Node> Nodes;
  std::vector<Property> Props;
  std::vector<llvm::StringRef> EnumValues;
  std::vector<Pattern> Patterns;
};

} // namespace connectorc

#endif
