//===- Frontend.h - from a file to a checked workflow ------------*- C++ -*-===//
#ifndef CONNECTORC_FRONTEND_FRONTEND_H
#define CONNECTORC_FRONTEND_FRONTEND_H

#include "frontend/Spec.h"
#include "ir/Diagnostics.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace connectorc {

/// Reads, parses, validates and checks connector.json files, caching the team
/// files they include (each file is checked once however often it is used).
class Frontend {
public:
  explicit Frontend(DiagnosticEngine &Diags) : Diags(Diags) {}

  /// Loads and checks \p Path. Returns null when the file cannot be read or
  /// is not JSON; otherwise the workflow, whose problems are in the engine.
  std::shared_ptr<spec::Workflow> load(llvm::StringRef Path);

  /// Parses and checks \p Buffer as the file its identifier names (relative
  /// team paths are resolved against that name's directory). load() reads the
  /// file and comes here; fuzzers and tests call it with text in memory.
  /// Returns null when the text is not JSON or is too large.
  std::shared_ptr<spec::Workflow>
  loadBuffer(std::unique_ptr<llvm::MemoryBuffer> Buffer);

  /// True when \p Path could not even be read (usage-level failure).
  bool hadUnreadableFile() const { return Unreadable; }

  /// Loads a team file named at \p From (for cycle diagnostics). Internal to
  /// the checker.
  std::shared_ptr<spec::Workflow> loadTeam(llvm::StringRef Path,
                                           const rapidjson::Value &From,
                                           const JsonDocument &FromDoc);

  /// Checks \p W (already holding Doc and Root) in place.
  void check(spec::Workflow &W);

  DiagnosticEngine &diags() { return Diags; }

private:
  std::unique_ptr<llvm::MemoryBuffer> readFile(llvm::StringRef Path);

  DiagnosticEngine &Diags;
  llvm::StringMap<std::shared_ptr<spec::Workflow>> Loaded;
  std::vector<std::string> Loading; ///< the chain of team files being loaded
  bool Unreadable = false;
};

} // namespace connectorc

#endif
