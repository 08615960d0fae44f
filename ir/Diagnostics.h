//===- Diagnostics.h - one engine for every diagnostic ----------*- C++ -*-===//
//
// Every message about a user's input — from the parser to the last pass — is
// a Diagnostic of a kind declared in DiagnosticKinds.def, anchored at a source
// range owned by an llvm::SourceMgr. Printers (DiagnosticPrinter.h) render them
// for people (caret + fix-it) or machines (JSON, SARIF, GitHub annotations).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_DIAGNOSTICS_H
#define CONNECTORC_IR_DIAGNOSTICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include "ir/Fmt.h"

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace connectorc {

/// How serious a diagnostic is.
enum class DiagLevel { Error, Warning, Note };

/// Every diagnostic connectorc can emit.
enum class DiagKind {
#define DIAG(Name, Level, RuleId, Format, Summary) Name,
#include "ir/DiagnosticKinds.def"
};

/// The static description of one diagnostic kind.
struct DiagInfo {
  DiagKind Kind;
  DiagLevel Level;
  llvm::StringRef RuleId;
  llvm::StringRef Format;
  llvm::StringRef Summary;
};

/// All kinds, in declaration order.
llvm::ArrayRef<DiagInfo> allDiagInfos();
/// The description of \p Kind.
const DiagInfo &getDiagInfo(DiagKind Kind);
/// "error", "warning" or "note".
llvm::StringRef levelName(DiagLevel Level);

/// A suggested replacement of a source range.
struct FixIt {
  llvm::SMRange Range;
  std::string Replacement;
};

class DiagnosticEngine;

/// One reported diagnostic.
struct Diagnostic {
  DiagKind Kind;
  DiagLevel Level;
  /// Where it points; invalid for file-level diagnostics (see FileName).
  llvm::SMRange Range;
  /// The file, for diagnostics with no source range (an unreadable file).
  std::string FileName;
  std::string Message;
  std::vector<FixIt> FixIts;
  /// The engine that reported it, to resolve deferred fix-it ranges.
  const DiagnosticEngine *Engine = nullptr;

  /// Adds a fix-it replacing \p R with \p Text.
  Diagnostic &fixIt(llvm::SMRange R, llvm::StringRef Text);
};

/// A range that stands for a node of a parsed document (its address) until
/// someone needs the node's real position: finding positions costs a second
/// parse of the file, which a clean file should never pay for. Only the
/// engine the document is registered with can resolve it (resolve()).
inline llvm::SMRange deferredRange(const void *Node) {
  const char *P = static_cast<const char *>(Node);
  return {llvm::SMLoc::getFromPointer(P), llvm::SMLoc::getFromPointer(P + 1)};
}

/// Something that knows the source ranges of the nodes behind deferred
/// ranges (a parsed document).
class LocResolver {
public:
  virtual ~LocResolver() = default;
  /// The source range of \p Node, or std::nullopt when it is not one of
  /// this resolver's nodes.
  virtual std::optional<llvm::SMRange> resolveNode(const void *Node) const = 0;
};

/// Collects diagnostics for the files of one SourceMgr.
class DiagnosticEngine {
public:
  explicit DiagnosticEngine(llvm::SourceMgr &SM) : SM(SM) {}

  /// Reports \p Kind at \p Range, formatting its message with \p Args. The
  /// returned reference stays valid (the store is a deque).
  template <typename... Args>
  Diagnostic &report(DiagKind Kind, llvm::SMRange Range, const Args &...A) {
    return add(Kind, Range, {}, formatMessage(Kind, A...));
  }

  /// Reports \p Kind about the file \p File as a whole.
  template <typename... Args>
  Diagnostic &reportFile(DiagKind Kind, llvm::StringRef File,
                         const Args &...A) {
    return add(Kind, {}, File.str(), formatMessage(Kind, A...));
  }

  llvm::SourceMgr &getSourceMgr() const { return SM; }

  /// Registers \p R to resolve deferred ranges until removeResolver(R).
  void addResolver(const LocResolver *R) { Resolvers.push_back(R); }
  void removeResolver(const LocResolver *R);
  /// \p R itself when it is invalid or points into a buffer of the source
  /// manager; otherwise the real range of the node it defers to.
  llvm::SMRange resolve(llvm::SMRange R) const;
  const std::deque<Diagnostic> &diagnostics() const { return Diags; }
  unsigned numErrors() const { return NumErrors; }
  unsigned numWarnings() const { return NumWarnings; }
  bool hasErrors() const { return NumErrors != 0; }

private:
  template <typename... Args>
  static std::string formatMessage(DiagKind Kind, const Args &...A) {
    llvm::StringRef F = getDiagInfo(Kind).Format;
    return fmt::vformat(fmt::string_view(F.data(), F.size()),
                        fmt::make_format_args(A...));
  }
  Diagnostic &add(DiagKind Kind, llvm::SMRange Range, std::string File,
                  std::string Message);

  llvm::SourceMgr &SM;
  std::vector<const LocResolver *> Resolvers;
  std::deque<Diagnostic> Diags;
  unsigned NumErrors = 0;
  unsigned NumWarnings = 0;
};

/// A diagnostic's position as people count it (1-based; 0 when unknown).
struct DiagPosition {
  std::string File;
  unsigned Line = 0;
  unsigned Column = 0;
  /// The column counted in Unicode code points (SARIF's columnKind).
  unsigned CodePointColumn = 0;
};

/// Resolves where \p D points.
DiagPosition getPosition(const llvm::SourceMgr &SM, const Diagnostic &D);

} // namespace connectorc

#endif
