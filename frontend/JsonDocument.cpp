//===- JsonDocument.cpp - position-keeping JSON parsing -------------------===//
#include "frontend/JsonDocument.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>
#include <thread>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

using namespace connectorc;

namespace {
/// Builds the rapidjson::Document, refusing nesting deeper than
/// MaxJsonNesting. It records no positions: a clean file never needs one, so
/// they are found by a second pass (LocatingHandler) when a diagnostic asks.
class BuildingHandler {
public:
  BuildingHandler(rapidjson::Document &Doc, rapidjson::StringStream &Stream)
      : Doc(Doc), Stream(Stream) {}

  bool Null() { return Doc.Null(); }
  bool Bool(bool B) { return Doc.Bool(B); }
  bool Int(int I) { return Doc.Int(I); }
  bool Uint(unsigned U) { return Doc.Uint(U); }
  bool Int64(int64_t I) { return Doc.Int64(I); }
  bool Uint64(uint64_t U) { return Doc.Uint64(U); }
  bool Double(double D) { return Doc.Double(D); }
  bool RawNumber(const char *S, rapidjson::SizeType N, bool Copy) {
    return Doc.RawNumber(S, N, Copy);
  }
  bool String(const char *S, rapidjson::SizeType N, bool Copy) {
    return Doc.String(S, N, Copy);
  }
  bool Key(const char *S, rapidjson::SizeType N, bool Copy) {
    return Doc.Key(S, N, Copy);
  }
  bool StartObject() { return open() && Doc.StartObject(); }
  bool StartArray() { return open() && Doc.StartArray(); }
  bool EndObject(rapidjson::SizeType N) { return --Depth, Doc.EndObject(N); }
  bool EndArray(rapidjson::SizeType N) { return --Depth, Doc.EndArray(N); }

  /// Offset of the container that broke the nesting limit, if one did.
  std::optional<uint32_t> TooDeepAt;

private:
  bool open() {
    if (Depth++ < MaxJsonNesting)
      return true;
    // The iterative reader reports a bracket before consuming it.
    TooDeepAt = static_cast<uint32_t>(Stream.Tell());
    return false;
  }

  rapidjson::Document &Doc;
  rapidjson::StringStream &Stream;
  unsigned Depth = 0;
};

/// Records each value's byte range, in document order, from a second parse of
/// a text the first one accepted. A value starts at the first byte after the
/// previous event that is not whitespace or a separator; where it ends is
/// read from the text too, since RapidJSON parses a string or number on a
/// copy of the stream, so the stream's position is stale in the handler.
class LocatingHandler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, LocatingHandler> {
public:
  LocatingHandler(llvm::StringRef Text, std::vector<JsonDocument::Loc> &Locs)
      : Text(Text), Locs(Locs) {}

  bool Default() { return scalar(); }
  bool Key(const char *, rapidjson::SizeType, bool) {
    PendingKeyBegin = tokenStart();
    PendingKeyEnd = LastEnd = stringEnd(PendingKeyBegin);
    return true;
  }
  bool StartObject() { return open(); }
  bool StartArray() { return open(); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

private:
  uint32_t tokenStart() const {
    const char *Begin = Text.data();
    uint32_t P = LastEnd, Size = static_cast<uint32_t>(Text.size());
    while (P < Size &&
           (Begin[P] == ' ' || Begin[P] == '\t' || Begin[P] == '\n' ||
            Begin[P] == '\r' || Begin[P] == ',' || Begin[P] == ':'))
      ++P;
    return P;
  }
  /// The end of the string whose opening quote is at \p Quote: after the
  /// first quote not escaped by an odd run of backslashes. The parser has
  /// accepted the string, so there is one.
  uint32_t stringEnd(uint32_t Quote) const {
    size_t P = Quote;
    for (;;) {
      P = Text.find('"', P + 1);
      assert(P != llvm::StringRef::npos && "an accepted string ends");
      size_t Slashes = 0;
      while (Text[P - 1 - Slashes] == '\\')
        ++Slashes;
      if (Slashes % 2 == 0)
        return static_cast<uint32_t>(P + 1);
    }
  }
  /// The end of the scalar starting at \p Begin: a string, or a number or
  /// literal, whose characters are all alphanumerics, signs and points.
  uint32_t scalarEnd(uint32_t Begin) const {
    if (Text[Begin] == '"')
      return stringEnd(Begin);
    size_t P = Begin + 1;
    while (P < Text.size() && (llvm::isAlnum(Text[P]) || Text[P] == '-' ||
                               Text[P] == '+' || Text[P] == '.'))
      ++P;
    return static_cast<uint32_t>(P);
  }
  void record(uint32_t Begin, uint32_t End) {
    Locs.push_back({Begin, End, PendingKeyBegin, PendingKeyEnd});
    PendingKeyBegin = UINT32_MAX;
    PendingKeyEnd = 0;
  }
  bool scalar() {
    uint32_t Begin = tokenStart();
    LastEnd = scalarEnd(Begin);
    record(Begin, LastEnd);
    return true;
  }
  bool open() {
    Open.push_back(static_cast<uint32_t>(Locs.size()));
    // The end is filled in by close().
    uint32_t Begin = tokenStart();
    LastEnd = Begin + 1;
    record(Begin, 0);
    return true;
  }
  bool close() {
    LastEnd = tokenStart() + 1;
    Locs[Open.back()].End = LastEnd;
    Open.pop_back();
    return true;
  }

  llvm::StringRef Text;
  std::vector<JsonDocument::Loc> &Locs;
  std::vector<uint32_t> Open;
  uint32_t LastEnd = 0;
  uint32_t PendingKeyBegin = UINT32_MAX, PendingKeyEnd = 0;
};

/// An escape RapidJSON accepts that must not reach the rest of the compiler.
struct BadEscape {
  size_t Offset; ///< of its backslash
  /// "\u0000": no argv, environment or file name can hold a NUL, so an
  /// emitted script could not deliver such a string byte for byte. Otherwise
  /// a "\uDCxx" with no high surrogate before it: RapidJSON 1.1 rejects a
  /// lone high surrogate escape but decodes a lone low one ("\udc00") to the
  /// ill-formed UTF-8 bytes ED B0 80.
  bool Nul;
};

/// The first bad escape in \p Text, if any, in document order.
std::optional<BadEscape> findBadEscape(llvm::StringRef Text) {
  bool InString = false;
  for (size_t P = 0; P < Text.size(); ++P) {
    char C = Text[P];
    if (C == '"') {
      InString = !InString;
      continue;
    }
    if (!InString || C != '\\')
      continue;
    if (P + 5 >= Text.size() || Text[P + 1] != 'u') {
      ++P; // an escaped character
      continue;
    }
    unsigned Code = 0;
    for (size_t I = P + 2; I < P + 6; ++I)
      Code = Code * 16 + llvm::hexDigitValue(Text[I]);
    if (Code == 0 || (Code >= 0xDC00 && Code <= 0xDFFF))
      return BadEscape{P, Code == 0};
    // A high surrogate is always followed by its low half (the reader checks).
    P += Code >= 0xD800 && Code < 0xDC00 ? 11 : 5;
  }
  return std::nullopt;
}

/// "Missing a comma or ']' after an array element." → lowercase, no period.
std::string describeParseError(rapidjson::ParseErrorCode Code) {
  std::string Msg = rapidjson::GetParseError_En(Code);
  if (!Msg.empty())
    Msg[0] =
        static_cast<char>(std::tolower(static_cast<unsigned char>(Msg[0])));
  if (!Msg.empty() && Msg.back() == '.')
    Msg.pop_back();
  return Msg;
}
/// The offset of the first byte of \p Text that is not valid UTF-8, if any.
///
/// Done here rather than with RapidJSON's kParseValidateEncodingFlag, which
/// decodes every character of every string and took 15% of all lint time on
/// the benchmark spec; this skips ASCII 32 bytes at a time (8 at a time was
/// 11 M instructions on that spec, this 4 M) and hands only non-ASCII
/// sequences to LLVM's validator.
std::optional<size_t> findInvalidUtf8(llvm::StringRef Text) {
  const auto *P = reinterpret_cast<const llvm::UTF8 *>(Text.data());
  const auto *End = P + Text.size();
  const auto *Begin = P;
  auto IsAscii = [](const llvm::UTF8 *From, size_t Words) {
    uint64_t Any = 0;
    for (size_t I = 0; I < Words; ++I) {
      uint64_t Word;
      std::memcpy(&Word, From + 8 * I, 8);
      Any |= Word;
    }
    return !(Any & 0x8080808080808080ULL);
  };
  while (P < End) {
    if (End - P >= 32 && IsAscii(P, 4)) {
      P += 32;
      continue;
    }
    if (End - P >= 8 && IsAscii(P, 1)) {
      P += 8;
      continue;
    }
    if (*P < 0x80) {
      ++P;
      continue;
    }
    unsigned Len = llvm::getNumBytesForUTF8(*P);
    if (End - P < Len || !llvm::isLegalUTF8Sequence(P, P + Len))
      return static_cast<size_t>(P - Begin);
    P += Len;
  }
  return std::nullopt;
}

/// What is wrong with a file's raw text, found apart from the parse.
struct TextFaults {
  std::optional<size_t> Nul;           ///< a NUL byte
  std::optional<size_t> BadUtf8;       ///< the first invalid UTF-8 sequence
  std::optional<BadEscape> Escape; ///< the first one
};

/// Whether \p Text has a "\u" anywhere. (StringRef::find with a two-byte
/// needle steps a byte or two at a time: 10 ms on the benchmark spec; memchr
/// for the backslash, a fraction of that.)
bool hasUnicodeEscape(llvm::StringRef Text) {
  const char *P = Text.data(), *End = Text.data() + Text.size();
  while ((P = static_cast<const char *>(std::memchr(P, '\\', End - P))))
    if (++P != End && *P == 'u')
      return true;
  return false;
}

TextFaults findTextFaults(llvm::StringRef Text) {
  TextFaults F;
  if (size_t Nul = Text.find('\0'); Nul != llvm::StringRef::npos)
    F.Nul = Nul;
  else if (!(F.BadUtf8 = findInvalidUtf8(Text)) && hasUnicodeEscape(Text)) {
    F.Escape = findBadEscape(Text);
  }
  return F;
}

/// Reports a NUL byte or invalid UTF-8 in \p Text, if \p F found one.
bool reportTextFault(const TextFaults &F, llvm::StringRef Text,
                     DiagnosticEngine &Diags) {
  auto At = [&](size_t Offset) {
    llvm::SMLoc L = llvm::SMLoc::getFromPointer(Text.data() + Offset);
    return llvm::SMRange(L, L);
  };
  if (F.Nul)
    Diags.report(DiagKind::NulByte, At(*F.Nul));
  else if (F.BadUtf8)
    Diags.report(DiagKind::ParseError, At(*F.BadUtf8),
                 "invalid UTF-8 byte sequence");
  return F.Nul || F.BadUtf8;
}

/// From this size on, findTextFaults runs on a thread of its own.
constexpr size_t ScanBesideParseMin = 1 << 20;
} // namespace

JsonDocument::JsonDocument(unsigned BufferId, llvm::StringRef Text)
    : BufferId(BufferId), Text(Text) {
  // After a successful parse only whitespace surrounds the root.
  llvm::StringRef Root = Text.trim(" \t\n\r");
  RootLoc.Begin = static_cast<uint32_t>(Root.data() - Text.data());
  RootLoc.End = static_cast<uint32_t>(RootLoc.Begin + Root.size());
}

std::unique_ptr<JsonDocument> JsonDocument::parse(unsigned BufferId,
                                                  DiagnosticEngine &Diags) {
  const llvm::MemoryBuffer *MB = Diags.getSourceMgr().getMemoryBuffer(BufferId);
  llvm::StringRef Text = MB->getBuffer();
  std::unique_ptr<JsonDocument> JD(new JsonDocument(BufferId, Text));
  // The raw text's checks run beside the parse, on another thread for a
  // large file: on the 12 MB benchmark spec they took 10% of lint's time in
  // line. The parse does not depend on them (a NUL ends the text early,
  // unchecked UTF-8 is copied as is); what they find decides what is reported.
  std::optional<TextFaults> Faults;
  std::thread Scanner;
  if (Text.size() >= ScanBesideParseMin)
    Scanner = std::thread([&] { Faults = findTextFaults(Text); });
  else if (Faults = findTextFaults(Text); reportTextFault(*Faults, Text, Diags))
    return nullptr;
  // The buffer ends with a NUL (see parse()'s contract), so a StringStream
  // can read it: RapidJSON has SIMD string and whitespace scanning for that
  // stream only.
  assert(Text.end()[0] == '\0' && "source buffers are NUL-terminated");
  rapidjson::StringStream Stream(Text.data());
  BuildingHandler Handler(JD->Doc, Stream);
  rapidjson::ParseResult Result;
  auto Generate = [&](rapidjson::Document &) {
    rapidjson::Reader R;
    // UTF-8 is validated beforehand (findInvalidUtf8); escapes such as a lone
    // "\ud800" are still checked by the reader.
    constexpr unsigned Flags = rapidjson::kParseIterativeFlag;
    Result = R.Parse<Flags>(Stream, Handler);
    return !Result.IsError();
  };
  JD->Doc.Populate(Generate);
  if (Scanner.joinable())
    Scanner.join();
  if (reportTextFault(*Faults, Text, Diags))
    return nullptr;
  // An escape the parse accepted, before where it stopped (if it did).
  size_t Stop = Handler.TooDeepAt ? *Handler.TooDeepAt
                : Result.IsError() ? Result.Offset()
                                   : Text.size();
  if (std::optional<BadEscape> E = Faults->Escape; E && E->Offset < Stop) {
    llvm::SMLoc L = JD->at(E->Offset);
    if (E->Nul)
      Diags.report(DiagKind::NulInString,
                   llvm::SMRange(L, JD->at(E->Offset + 6)));
    else
      Diags.report(DiagKind::ParseError, llvm::SMRange(L, L),
                   describeParseError(
                       rapidjson::kParseErrorStringUnicodeSurrogateInvalid));
    return nullptr;
  }
  if (Handler.TooDeepAt) {
    llvm::SMLoc L = JD->at(*Handler.TooDeepAt);
    Diags.report(DiagKind::NestingTooDeep, llvm::SMRange(L, L), MaxJsonNesting);
    return nullptr;
  }
  if (Result.IsError()) {
    uint32_t Off =
        static_cast<uint32_t>(std::min<size_t>(Result.Offset(), Text.size()));
    std::string Msg = describeParseError(Result.Code());
    if (Result.Code() == rapidjson::kParseErrorValueInvalid)
      while (Off > 0 && llvm::isAlpha(Text[Off - 1]))
        --Off; // point at the start of a misspelt literal such as `tru`
    if (Result.Code() == rapidjson::kParseErrorStringEscapeInvalid &&
        Off < Text.size() && static_cast<unsigned char>(Text[Off]) < 0x20)
      Msg = "missing a closing quotation mark in string"; // a raw line break
    Diags.report(DiagKind::ParseError, llvm::SMRange(JD->at(Off), JD->at(Off)),
                 Msg);
    return nullptr;
  }
  unsigned ErrorsBefore = Diags.numErrors();
  JD->reportDuplicateKeys(Diags);
  if (Diags.numErrors() != ErrorsBefore)
    return nullptr;
  JD->Engine = &Diags;
  Diags.addResolver(JD.get());
  return JD;
}

/// Reports keys that occur twice in one object. Objects are small: up to 16
/// members are compared pairwise, larger ones go through a hash set.
void JsonDocument::reportDuplicateKeys(DiagnosticEngine &Diags) {
  std::vector<std::pair<const rapidjson::Value *, const rapidjson::Value *>>
      Dups; // (second, first)
  std::vector<const rapidjson::Value *> Stack{&Doc};
  auto NameOf = [](const rapidjson::Value::Member &M) {
    return llvm::StringRef(M.name.GetString(), M.name.GetStringLength());
  };
  while (!Stack.empty()) {
    const rapidjson::Value *V = Stack.back();
    Stack.pop_back();
    if (V->IsArray()) {
      for (const rapidjson::Value &E : V->GetArray())
        Stack.push_back(&E);
      continue;
    }
    if (!V->IsObject())
      continue;
    auto Begin = V->MemberBegin(), End = V->MemberEnd();
    if (V->MemberCount() <= 16) {
      for (auto I = Begin; I != End; ++I)
        for (auto J = Begin; J != I; ++J)
          if (NameOf(*I) == NameOf(*J)) {
            Dups.push_back({&I->value, &J->value});
            break;
          }
    } else {
      llvm::StringMap<const rapidjson::Value *> Seen;
      for (auto I = Begin; I != End; ++I)
        if (auto [It, New] = Seen.try_emplace(NameOf(*I), &I->value); !New)
          Dups.push_back({&I->value, It->second});
    }
    for (auto I = Begin; I != End; ++I)
      Stack.push_back(&I->value);
  }
  // Report in document order.
  if (Dups.empty())
    return;
  buildIndex();
  llvm::sort(Dups, [&](auto &A, auto &B) {
    return Index.lookup(A.first) < Index.lookup(B.first);
  });
  for (auto [Second, First] : Dups) {
    llvm::SMRange R = keyRangeOf(*Second);
    std::string Name(R.Start.getPointer() + 1,
                     R.End.getPointer() - R.Start.getPointer() - 2);
    Diags.report(DiagKind::DuplicateKey, R, Name);
    Diags.report(DiagKind::PreviousKey, keyRangeOf(*First), Name);
  }
}

/// Finds every value's position by parsing the text again, with a handler
/// that records positions and builds nothing. The text parsed before, so this
/// cannot fail.
void JsonDocument::locate() const {
  rapidjson::StringStream Stream(Text.data());
  LocatingHandler Handler(Text, Locs);
  rapidjson::Reader R;
  [[maybe_unused]] rapidjson::ParseResult Result =
      R.Parse<rapidjson::kParseIterativeFlag>(Stream, Handler);
  assert(!Result.IsError() && "the text parsed the first time");
}

/// Pairs every value with its Loc by walking the document in the order the
/// parser produced events. The walk uses an explicit stack: documents may
/// legitimately be deep.
void JsonDocument::buildIndex() const {
  if (!Index.empty())
    return;
  locate();
  Index.reserve(Locs.size());
  uint32_t Next = 0;
  std::vector<const rapidjson::Value *> Stack{&Doc};
  while (!Stack.empty()) {
    const rapidjson::Value *V = Stack.back();
    Stack.pop_back();
    Index[V] = Next++;
    if (V->IsArray()) {
      for (auto It = V->End(); It != V->Begin();)
        Stack.push_back(&*--It);
    } else if (V->IsObject()) {
      for (auto It = V->MemberEnd(); It != V->MemberBegin();)
        Stack.push_back(&(--It)->value);
    }
  }
  assert(Next == Locs.size() && "SAX events and values disagree");
}

JsonDocument::~JsonDocument() {
  if (Engine)
    Engine->removeResolver(this);
}

std::optional<llvm::SMRange> JsonDocument::resolveNode(const void *Node) const {
  if (Node == &Doc)
    return rangeOf(Doc);
  buildIndex();
  auto It = Index.find(static_cast<const rapidjson::Value *>(Node));
  if (It == Index.end())
    return std::nullopt;
  const Loc &L = Locs[It->second];
  return llvm::SMRange(at(L.Begin), at(L.End));
}

const JsonDocument::Loc &JsonDocument::locOf(const rapidjson::Value &V) const {
  if (&V == &Doc)
    return RootLoc;
  buildIndex();
  auto It = Index.find(&V);
  assert(It != Index.end() && "value is not from this document");
  return Locs[It->second];
}

llvm::SMRange JsonDocument::rangeOf(const rapidjson::Value &V) const {
  const Loc &L = locOf(V);
  return {at(L.Begin), at(L.End)};
}

llvm::SMRange JsonDocument::keyRangeOf(const rapidjson::Value &V) const {
  const Loc &L = locOf(V);
  if (L.KeyBegin == UINT32_MAX)
    return {at(L.Begin), at(L.End)};
  return {at(L.KeyBegin), at(L.KeyEnd)};
}

llvm::SMRange JsonDocument::contentsOf(const rapidjson::Value &V) const {
  const Loc &L = locOf(V);
  if (!V.IsString() || L.End - L.Begin < 2)
    return {at(L.Begin), at(L.End)};
  return {at(L.Begin + 1), at(L.End - 1)};
}

/// Length in the source of the escape or UTF-8 sequence starting at \p P, and
/// how many decoded bytes it stands for.
static std::pair<unsigned, unsigned> sourceUnit(const char *P) {
  if (*P != '\\')
    return {1, 1};
  if (P[1] != 'u')
    return {2, 1};
  unsigned Code = 0;
  for (int I = 2; I < 6; ++I)
    Code = Code * 16 + llvm::hexDigitValue(P[I]);
  if (Code >= 0xD800 && Code < 0xDC00)
    return {12, 4}; // a surrogate pair encodes one 4-byte code point
  return {6, Code < 0x80 ? 1u : Code < 0x800 ? 2u : 3u};
}

llvm::SMRange JsonDocument::rangeInString(const rapidjson::Value &V,
                                          size_t Index, size_t Length) const {
  const Loc &L = locOf(V);
  uint32_t P = L.Begin + 1, End = L.End - 1;
  size_t Decoded = 0;
  auto Advance = [&](size_t Target) {
    while (P < End && Decoded < Target) {
      auto [Src, Dec] = sourceUnit(Text.data() + P);
      P += Src;
      Decoded += Dec;
    }
    return P;
  };
  uint32_t Begin = Advance(Index);
  return {at(Begin), at(Advance(Index + Length))};
}
