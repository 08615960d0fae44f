//===- JsonDocument.h - JSON with a source range for every value -*- C++ -*-===//
//
// RapidJSON keeps no positions. When the first question about one comes (a
// clean file never asks), the text is parsed again by a SAX handler that
// records each value's byte range (and, for object members, its key's range)
// in document order, and every rapidjson::Value is mapped to its entry in one
// walk.
// Parsing is iterative (no recursion on hostile nesting) with a nesting limit,
// validates UTF-8, and rejects duplicate keys.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_FRONTEND_JSONDOCUMENT_H
#define CONNECTORC_FRONTEND_JSONDOCUMENT_H

#include "ir/Diagnostics.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/SMLoc.h"

#include <rapidjson/document.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace connectorc {

/// The largest file connectorc reads, in bytes. Real workflows are kilobytes;
/// the limit keeps hostile input from exhausting memory.
constexpr size_t MaxSpecFileSize = 64u << 20;
/// The deepest nesting of arrays and objects connectorc accepts. connector.json
/// is shallow; inline teams add about six levels each.
constexpr unsigned MaxJsonNesting = 512;

/// A parsed JSON document whose values know where they came from. It resolves
/// deferred ranges of its values (deferredRange) for the engine it was
/// parsed with, for as long as it lives.
class JsonDocument : public LocResolver {
public:
  ~JsonDocument() override;

  /// Parses buffer \p BufferId of \p SM. Reports every problem to \p Diags and
  /// returns null when the text is not a well-formed connector.json document.
  static std::unique_ptr<JsonDocument> parse(unsigned BufferId,
                                             DiagnosticEngine &Diags);

  const rapidjson::Value &root() const { return Doc; }
  unsigned bufferId() const { return BufferId; }

  /// The source range of \p V (which must belong to this document).
  llvm::SMRange rangeOf(const rapidjson::Value &V) const;
  /// The range of the key naming \p V, for an object member's value; the
  /// value's own range otherwise.
  llvm::SMRange keyRangeOf(const rapidjson::Value &V) const;
  /// The range of the character at \p Index of the decoded string \p V
  /// (escapes are taken into account), \p Length decoded characters long.
  llvm::SMRange rangeInString(const rapidjson::Value &V, size_t Index,
                              size_t Length = 1) const;
  /// The range of the contents of string \p V, without its quotes.
  llvm::SMRange contentsOf(const rapidjson::Value &V) const;

  std::optional<llvm::SMRange> resolveNode(const void *Node) const override;

  /// Where a value sits in the text (byte offsets into the buffer).
  struct Loc {
    uint32_t Begin = 0, End = 0;
    uint32_t KeyBegin = UINT32_MAX, KeyEnd = 0;
  };

private:
  JsonDocument(unsigned BufferId, llvm::StringRef Text);
  void reportDuplicateKeys(DiagnosticEngine &Diags);
  void locate() const;
  void buildIndex() const;
  const Loc &locOf(const rapidjson::Value &V) const;
  llvm::SMLoc at(uint32_t Offset) const {
    return llvm::SMLoc::getFromPointer(Text.data() + Offset);
  }

  unsigned BufferId;
  llvm::StringRef Text;
  DiagnosticEngine *Engine = nullptr; ///< resolving for it, once parsed
  rapidjson::Document Doc;
  /// The root's range, known without Locs: the checker asks where the root
  /// starts even in a clean file.
  Loc RootLoc;
  /// Every value's position, in document order, and value → its entry in
  /// Locs: both made on the first question about a position, so a clean file
  /// never pays for them.
  mutable std::vector<Loc> Locs;
  mutable llvm::DenseMap<const rapidjson::Value *, uint32_t> Index;
};

/// The value of member \p Key of \p Obj, or null (also when \p Obj is not an
/// object). Lengths and first bytes are compared before memcmp: the checker's
/// lookups through rapidjson's FindMember, a memcmp call per member, were
/// 60 M of lint's 455 M instructions on the benchmark spec (callgrind).
inline const rapidjson::Value *findMember(const rapidjson::Value &Obj,
                                          llvm::StringRef Key) {
  if (!Obj.IsObject())
    return nullptr;
  for (const auto &M : Obj.GetObject()) {
    const char *Name = M.name.GetString();
    if (M.name.GetStringLength() == Key.size() &&
        (Key.empty() ||
         (Name[0] == Key[0] && std::memcmp(Name, Key.data(), Key.size()) == 0)))
      return &M.value;
  }
  return nullptr;
}

} // namespace connectorc

#endif
