//===- JsonDocumentTest.cpp - positions, escapes and limits of the parser -===//
#include "frontend/JsonDocument.h"

#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {
/// One buffer, parsed: the document (null on failure) and its diagnostics.
class Parsed {
public:
  explicit Parsed(llvm::StringRef Text) {
    BufferId = SM.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(Text, "t.json"), llvm::SMLoc());
    Doc = JsonDocument::parse(BufferId, Diags);
  }

  const char *start() const {
    return SM.getMemoryBuffer(BufferId)->getBufferStart();
  }
  size_t offset(llvm::SMLoc L) const { return L.getPointer() - start(); }
  std::string text(llvm::SMRange R) const {
    return std::string(R.Start.getPointer(), R.End.getPointer());
  }
  std::pair<unsigned, unsigned> lineCol(llvm::SMLoc L) const {
    return SM.getLineAndColumn(L, BufferId);
  }
  const rapidjson::Value &root() const { return Doc->root(); }

  llvm::SourceMgr SM;
  DiagnosticEngine Diags{SM};
  unsigned BufferId = 0;
  std::unique_ptr<JsonDocument> Doc;
};

std::string nested(unsigned Depth, char Open, char Close) {
  return std::string(Depth, Open) + std::string(Depth, Close);
}
} // namespace

TEST(JsonDocument, ValueRanges) {
  Parsed P(R"({"a": 1, "b": [true, null], "c": {"d": "x"}, "e": -2.5e3})");
  ASSERT_TRUE(P.Doc);
  const rapidjson::Value &Root = P.root();
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root)),
            R"({"a": 1, "b": [true, null], "c": {"d": "x"}, "e": -2.5e3})");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["a"])), "1");
  EXPECT_EQ(P.offset(P.Doc->rangeOf(Root["a"]).Start), 6u);
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["b"])), "[true, null]");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["b"][0])), "true");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["b"][1])), "null");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["c"])), R"({"d": "x"})");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["c"]["d"])), R"("x")");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["e"])), "-2.5e3");
}

TEST(JsonDocument, DeferredRangesResolveWhenReported) {
  Parsed P(R"({"a": [1, {"b": "x"}], "c": true})");
  ASSERT_TRUE(P.Doc);
  const rapidjson::Value &B = P.root()["a"][1]["b"];
  llvm::SMRange Deferred = deferredRange(&B);
  // Not a position in any buffer until resolved.
  EXPECT_EQ(P.SM.FindBufferContainingLoc(Deferred.Start), 0u);
  EXPECT_EQ(P.text(P.Diags.resolve(Deferred)), R"("x")");
  // A real range passes through unchanged, and so does an invalid one.
  llvm::SMRange Real = P.Doc->rangeOf(P.root()["c"]);
  EXPECT_EQ(P.Diags.resolve(Real).Start, Real.Start);
  EXPECT_FALSE(P.Diags.resolve(llvm::SMRange()).Start.isValid());
  // Reported diagnostics and their fix-its hold real positions.
  Diagnostic &D = P.Diags.report(DiagKind::UnknownModel, Deferred, "x", "");
  D.fixIt(deferredRange(&P.root()["c"]), "false");
  EXPECT_EQ(P.text(D.Range), R"("x")");
  EXPECT_EQ(P.lineCol(D.Range.Start), std::make_pair(1u, 17u));
  ASSERT_EQ(D.FixIts.size(), 1u);
  EXPECT_EQ(P.text(D.FixIts[0].Range), "true");
  EXPECT_EQ(getPosition(P.SM, D).Column, 17u);
}

TEST(JsonDocument, KeyRanges) {
  Parsed P(R"({"first": {"x": [1]}, "after":[], "last" :{}})");
  ASSERT_TRUE(P.Doc);
  const rapidjson::Value &Root = P.root();
  // The first key of an object starts after its '{'.
  EXPECT_EQ(P.text(P.Doc->keyRangeOf(Root["first"])), R"("first")");
  EXPECT_EQ(P.offset(P.Doc->keyRangeOf(Root["first"]).Start), 1u);
  EXPECT_EQ(P.text(P.Doc->keyRangeOf(Root["first"]["x"])), R"("x")");
  // A key after a closed container starts after its '}' or ']'.
  EXPECT_EQ(P.text(P.Doc->keyRangeOf(Root["after"])), R"("after")");
  EXPECT_EQ(P.text(P.Doc->keyRangeOf(Root["last"])), R"("last")");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["after"])), "[]");
  EXPECT_EQ(P.text(P.Doc->rangeOf(Root["last"])), "{}");
  // Values with no key: the value's own range.
  EXPECT_EQ(P.text(P.Doc->keyRangeOf(Root)), P.text(P.Doc->rangeOf(Root)));
  const rapidjson::Value &Elem = Root["first"]["x"][0];
  EXPECT_EQ(P.text(P.Doc->keyRangeOf(Elem)), "1");
}

TEST(JsonDocument, LineAndColumnThroughSourceMgr) {
  Parsed P("{\n  \"a\": [\n    1,\n\t\"two\"\n  ]\n}\n");
  ASSERT_TRUE(P.Doc);
  const rapidjson::Value &A = P.root()["a"];
  EXPECT_EQ(P.lineCol(P.Doc->keyRangeOf(A).Start), std::make_pair(2u, 3u));
  EXPECT_EQ(P.lineCol(P.Doc->rangeOf(A).Start), std::make_pair(2u, 8u));
  EXPECT_EQ(P.lineCol(P.Doc->rangeOf(A).End), std::make_pair(5u, 4u));
  EXPECT_EQ(P.lineCol(P.Doc->rangeOf(A[0]).Start), std::make_pair(3u, 5u));
  EXPECT_EQ(P.lineCol(P.Doc->rangeOf(A[1]).Start), std::make_pair(4u, 2u));
}

TEST(JsonDocument, RangeInStringFollowsEscapes) {
  // Decoded: a " b \n c é(2 bytes) d 😀(4 bytes) e.
  Parsed P(R"({"s": "a\"b\nc\u00e9d\ud83d\ude00e"})");
  ASSERT_TRUE(P.Doc);
  const rapidjson::Value &S = P.root()["s"];
  ASSERT_EQ(S.GetStringLength(), 13u);
  auto At = [&](size_t Index, size_t Length = 1) {
    return P.text(P.Doc->rangeInString(S, Index, Length));
  };
  EXPECT_EQ(At(0), "a");
  EXPECT_EQ(At(1), R"(\")");
  EXPECT_EQ(At(2), "b");
  EXPECT_EQ(At(3), R"(\n)");
  EXPECT_EQ(At(4), "c");
  EXPECT_EQ(At(5, 2), R"(\u00e9)");
  EXPECT_EQ(At(7), "d");
  EXPECT_EQ(At(8, 4), R"(\ud83d\ude00)");
  EXPECT_EQ(At(12), "e");
  EXPECT_EQ(At(4, 4), R"(c\u00e9d)");
  EXPECT_EQ(At(0, 13), P.text(P.Doc->contentsOf(S)));
  EXPECT_EQ(P.text(P.Doc->contentsOf(S)),
            R"(a\"b\nc\u00e9d\ud83d\ude00e)");
}

TEST(JsonDocument, RangeInStringWithRawUtf8) {
  // Raw UTF-8 is one source byte per decoded byte.
  Parsed P("{\"s\": \"h\xC3\xA9llo {x}\"}");
  ASSERT_TRUE(P.Doc);
  const rapidjson::Value &S = P.root()["s"];
  EXPECT_EQ(P.text(P.Doc->rangeInString(S, 1, 2)), "\xC3\xA9");
  EXPECT_EQ(P.text(P.Doc->rangeInString(S, 7, 3)), "{x}");
}

TEST(JsonDocument, DuplicateKeys) {
  Parsed P("{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2},\n \"a\": 3}");
  EXPECT_FALSE(P.Doc);
  ASSERT_EQ(P.Diags.diagnostics().size(), 4u);
  // In document order: the inner object's duplicate comes first.
  const Diagnostic &Inner = P.Diags.diagnostics()[0];
  EXPECT_EQ(Inner.Kind, DiagKind::DuplicateKey);
  EXPECT_EQ(Inner.Message, "duplicate key 'c'");
  EXPECT_EQ(P.lineCol(Inner.Range.Start), std::make_pair(2u, 16u));
  EXPECT_EQ(P.text(Inner.Range), "\"c\"");
  const Diagnostic &InnerFirst = P.Diags.diagnostics()[1];
  EXPECT_EQ(InnerFirst.Kind, DiagKind::PreviousKey);
  EXPECT_EQ(InnerFirst.Level, DiagLevel::Note);
  EXPECT_EQ(P.lineCol(InnerFirst.Range.Start), std::make_pair(2u, 8u));
  const Diagnostic &Outer = P.Diags.diagnostics()[2];
  EXPECT_EQ(Outer.Message, "duplicate key 'a'");
  EXPECT_EQ(P.lineCol(Outer.Range.Start), std::make_pair(3u, 2u));
  EXPECT_EQ(P.lineCol(P.Diags.diagnostics()[3].Range.Start),
            std::make_pair(1u, 2u));
}

TEST(JsonDocument, DuplicateKeysInLargeObjects) {
  // More than 16 members take the hash-set path.
  std::string Text = "{";
  for (int I = 0; I < 40; ++I)
    Text += "\"k" + std::to_string(I) + "\": " + std::to_string(I) + ", ";
  Text += "\"k7\": 0}";
  Parsed P(Text);
  EXPECT_FALSE(P.Doc);
  ASSERT_EQ(P.Diags.diagnostics().size(), 2u);
  EXPECT_EQ(P.Diags.diagnostics()[0].Message, "duplicate key 'k7'");
  EXPECT_EQ(P.offset(P.Diags.diagnostics()[0].Range.Start), Text.rfind("\"k7\""));
  EXPECT_EQ(P.offset(P.Diags.diagnostics()[1].Range.Start), Text.find("\"k7\""));
}

TEST(JsonDocument, SameKeyInDifferentObjectsIsFine) {
  Parsed P(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]})");
  EXPECT_TRUE(P.Doc);
  EXPECT_TRUE(P.Diags.diagnostics().empty());
}

TEST(JsonDocument, NestingLimit) {
  EXPECT_TRUE(Parsed(nested(MaxJsonNesting, '[', ']')).Doc);
  Parsed TooDeep(nested(MaxJsonNesting + 1, '[', ']'));
  EXPECT_FALSE(TooDeep.Doc);
  ASSERT_EQ(TooDeep.Diags.diagnostics().size(), 1u);
  const Diagnostic &D = TooDeep.Diags.diagnostics()[0];
  EXPECT_EQ(D.Kind, DiagKind::NestingTooDeep);
  EXPECT_EQ(D.Message, "JSON nesting is deeper than 512 levels");
  // At the first bracket past the limit.
  EXPECT_EQ(TooDeep.offset(D.Range.Start), size_t(MaxJsonNesting));

  std::string Objects;
  for (unsigned I = 0; I <= MaxJsonNesting; ++I)
    Objects += "{\"k\": ";
  Parsed DeepObjects(Objects + "1" + std::string(MaxJsonNesting + 1, '}'));
  EXPECT_FALSE(DeepObjects.Doc);
  ASSERT_EQ(DeepObjects.Diags.diagnostics().size(), 1u);
  EXPECT_EQ(DeepObjects.offset(DeepObjects.Diags.diagnostics()[0].Range.Start),
            MaxJsonNesting * 6u);
}

TEST(JsonDocument, ParseErrorOffsets) {
  struct Case {
    const char *Text;
    size_t Offset;
    const char *Message;
  } Cases[] = {
      {"", 0, "invalid JSON: the document is empty"},
      {"{\"a\": tru}", 6, nullptr},           // at the start of the literal
      {"{\"a\": 1,}", 8, nullptr},            // the '}' after a comma
      {"[1 2]", 3, nullptr},                  // missing comma
      {"{\"a\" 1}", 5, nullptr},              // missing colon
      {"{\"a\": 1} x", 9, nullptr},           // text after the root
      {"{\"a\": \"x\ny\"}", 8,
       "invalid JSON: missing a closing quotation mark in string"},
      {"{\"a\": \"\\q\"}", 7, "invalid JSON: invalid escape character in string"},
      {"{\"a\": \"\\ud800\"}", 7,
       "invalid JSON: the surrogate pair in string is invalid"},
  };
  for (const Case &C : Cases) {
    Parsed P(C.Text);
    EXPECT_FALSE(P.Doc) << C.Text;
    ASSERT_EQ(P.Diags.diagnostics().size(), 1u) << C.Text;
    const Diagnostic &D = P.Diags.diagnostics()[0];
    EXPECT_EQ(D.Kind, DiagKind::ParseError) << C.Text;
    EXPECT_EQ(P.offset(D.Range.Start), C.Offset) << C.Text;
    if (C.Message) {
      EXPECT_EQ(D.Message, C.Message) << C.Text;
    }
  }
}

TEST(JsonDocument, ParseErrorLineAndColumn) {
  Parsed P("{\n  \"a\": 1\n  \"b\": 2\n}\n");
  ASSERT_FALSE(P.Doc);
  ASSERT_EQ(P.Diags.diagnostics().size(), 1u);
  EXPECT_EQ(P.lineCol(P.Diags.diagnostics()[0].Range.Start),
            std::make_pair(3u, 3u));
}

TEST(JsonDocument, NulByteAndInvalidUtf8) {
  Parsed Nul(llvm::StringRef("{\"a\": \"x\0y\"}", 12));
  EXPECT_FALSE(Nul.Doc);
  ASSERT_EQ(Nul.Diags.diagnostics().size(), 1u);
  EXPECT_EQ(Nul.Diags.diagnostics()[0].Kind, DiagKind::NulByte);
  EXPECT_EQ(Nul.offset(Nul.Diags.diagnostics()[0].Range.Start), 8u);

  for (const char *Text : {"{\"a\": \"x\xFFy\"}", "{\"a\": \"x\xC3\"}",
                           "{\"a\": \"x\xED\xA0\x80\"}"}) { // a raw surrogate
    Parsed Bad(Text);
    EXPECT_FALSE(Bad.Doc) << Text;
    ASSERT_EQ(Bad.Diags.diagnostics().size(), 1u) << Text;
    EXPECT_EQ(Bad.Diags.diagnostics()[0].Kind, DiagKind::ParseError);
    EXPECT_EQ(Bad.offset(Bad.Diags.diagnostics()[0].Range.Start), 8u) << Text;
  }
}

// RapidJSON 1.1 accepts a lone low surrogate escape and decodes it to the
// ill-formed UTF-8 bytes ED B0 80; JsonDocument rejects it like a lone high
// surrogate, at the backslash of the escape, in values and in keys.
TEST(JsonDocument, LoneLowSurrogateIsAnError) {
  Parsed P(R"({"a": "\udc00"})");
  EXPECT_FALSE(P.Doc);
  ASSERT_EQ(P.Diags.diagnostics().size(), 1u);
  EXPECT_EQ(P.Diags.diagnostics()[0].Kind, DiagKind::ParseError);
  EXPECT_EQ(P.offset(P.Diags.diagnostics()[0].Range.Start), 7u);
  EXPECT_EQ(P.Diags.diagnostics()[0].Message,
            "invalid JSON: the surrogate pair in string is invalid");

  struct Case {
    const char *Text;
    size_t Offset;
  };
  const Case Cases[] = {
      {R"({"\udc00": 1})", 2},
      {R"({"a": "x\n\u00e9\ud83d\ude00\uDFFF"})", 28},
      {R"({"a": "\ud83d\ude00\udc00\ud800\udc00"})", 19},
      {R"(["ok", "\u0041\uDc01"])", 14},
  };
  for (const Case &C : Cases) {
    Parsed Bad(C.Text);
    EXPECT_FALSE(Bad.Doc) << C.Text;
    ASSERT_EQ(Bad.Diags.diagnostics().size(), 1u) << C.Text;
    EXPECT_EQ(Bad.offset(Bad.Diags.diagnostics()[0].Range.Start), C.Offset)
        << C.Text;
  }
}

TEST(JsonDocument, WellFormedSurrogatesAndNeighbours) {
  // A pair, U+D7FF (ED 9F BF, just below the surrogates) raw and escaped,
  // and U+E000 (just above them).
  Parsed P("{\"\\ud83d\\ude00\": \"\\ud7ff\xED\x9F\xBF\\ue000\"}");
  ASSERT_TRUE(P.Doc);
  EXPECT_EQ(P.Diags.diagnostics().size(), 0u);
  const rapidjson::Value &V = P.root()["\xF0\x9F\x98\x80"];
  EXPECT_EQ(std::string(V.GetString(), V.GetStringLength()),
            "\xED\x9F\xBF\xED\x9F\xBF\xEE\x80\x80");
}
