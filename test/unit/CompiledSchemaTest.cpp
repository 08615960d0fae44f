//===- CompiledSchemaTest.cpp - the quick check agrees with valijson ------===//
//
// The quick check (CompiledSchema) decides alone whether a file conforms; the
// reference validators (valijson + ShapeWalker) run only when it says no. So
// the two must never disagree: on every example, every JSON input of the lit
// tests, the fuzz corpus, and mutations of the examples.
//
//===----------------------------------------------------------------------===//
#include "frontend/CompiledSchema.h"
#include "frontend/JsonDocument.h"
#include "frontend/Schema.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <gtest/gtest.h>

using namespace connectorc;
using rapidjson::Value;

namespace {
/// A named JSON text of the corpus.
struct Sample {
  std::string Name;
  std::string Text;
};

std::string sourcePath(llvm::StringRef Relative) {
  llvm::SmallString<256> P(CONNECTORC_SOURCE_DIR);
  llvm::sys::path::append(P, Relative);
  return std::string(P);
}

/// Every file ending in \p Suffix below \p Dir (relative to the source tree).
std::vector<std::string> filesUnder(llvm::StringRef Dir,
                                    llvm::StringRef Suffix) {
  std::vector<std::string> Out;
  std::error_code EC;
  for (llvm::sys::fs::recursive_directory_iterator It(sourcePath(Dir), EC), End;
       It != End && !EC; It.increment(EC))
    if (llvm::StringRef(It->path()).endswith(Suffix))
      Out.push_back(It->path());
  llvm::sort(Out);
  return Out;
}

std::string readFile(const std::string &Path) {
  auto MB = llvm::MemoryBuffer::getFile(Path);
  return MB ? (*MB)->getBuffer().str() : std::string();
}

/// The `#--- NAME.json` parts of a split-file test.
void addSplitFileInputs(const std::string &Path, std::vector<Sample> &Out) {
  llvm::SmallVector<llvm::StringRef, 0> Lines;
  std::string Text = readFile(Path);
  llvm::StringRef(Text).split(Lines, '\n');
  Sample *Current = nullptr;
  for (llvm::StringRef Line : Lines) {
    if (Line.consume_front("#--- ")) {
      Current = nullptr;
      if (Line.trim().endswith(".json")) {
        Out.push_back({Path + ":" + Line.trim().str(), ""});
        Current = &Out.back();
      }
      continue;
    }
    if (Current)
      Current->Text += Line.str() + "\n";
  }
}

std::vector<Sample> examples() {
  std::vector<Sample> Out;
  for (const std::string &P : filesUnder("examples", ".json"))
    Out.push_back({P, readFile(P)});
  for (const std::string &P : filesUnder("test/fuzz/corpus", ".json"))
    Out.push_back({P, readFile(P)});
  return Out;
}

std::vector<Sample> corpus() {
  std::vector<Sample> Out = examples();
  for (const std::string &P : filesUnder("test/lit", ".test"))
    addSplitFileInputs(P, Out);
  return Out;
}

/// What the two validators say of one text, if it parses.
struct Verdicts {
  bool Parsed = false;
  bool Quick = false;
  bool Reference = false;
};

Verdicts judge(const std::string &Text) {
  llvm::SourceMgr SM;
  DiagnosticEngine Diags(SM);
  unsigned Id = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Text, "t.json"), llvm::SMLoc());
  std::unique_ptr<JsonDocument> Doc = JsonDocument::parse(Id, Diags);
  if (!Doc)
    return {};
  return {true, conformsToSchemaQuickly(Doc->root()),
          validateAgainstSchemaFully(*Doc, Doc->root(), Diags)};
}

std::string serialize(const Value &V) {
  rapidjson::StringBuffer Buf;
  rapidjson::Writer<rapidjson::StringBuffer> W(Buf);
  V.Accept(W);
  return Buf.GetString();
}

/// Every value of \p V in preorder, with the object holding it (if any).
void collect(Value &V, Value *Parent,
             std::vector<std::pair<Value *, Value *>> &Out) {
  Out.push_back({&V, Parent});
  if (V.IsArray())
    for (Value &E : V.GetArray())
      collect(E, nullptr, Out);
  else if (V.IsObject())
    for (auto &M : V.GetObject())
      collect(M.value, &V, Out);
}

/// Values to put in place of each value: wrong types, empty and repeated
/// strings and lists, bounds, patterns, enum members, a uint64 that valijson
/// reads as -1.
const char *const Replacements[] = {"1",
                                    "0",
                                    "-1",
                                    "1.5",
                                    "70000",
                                    "18446744073709551615",
                                    "\"\"",
                                    "\"x y\"",
                                    "\"30m\"",
                                    "\"1h30m\"",
                                    "\"30 m\"",
                                    "\"fast\"",
                                    "\"a\\u0000\"",
                                    "true",
                                    "null",
                                    "[]",
                                    "[\"a\", \"a\"]",
                                    "[\"a\", 1]",
                                    "{}",
                                    "{\"x-a\": 1}",
                                    "{\"bogus\": 1}"};

/// Texts made from \p Text by replacing each value, adding a key to each
/// object, and removing each member.
std::vector<std::string> mutations(const std::string &Text) {
  std::vector<std::string> Out;
  rapidjson::Document Original;
  Original.Parse(Text.c_str());
  if (Original.HasParseError())
    return Out;
  size_t Count = 0;
  {
    std::vector<std::pair<Value *, Value *>> All;
    collect(Original, nullptr, All);
    Count = All.size();
  }
  for (size_t I = 0; I < Count; ++I) {
    auto Mutate = [&](auto &&Change) {
      rapidjson::Document Copy;
      Copy.CopyFrom(Original, Copy.GetAllocator());
      std::vector<std::pair<Value *, Value *>> All;
      collect(Copy, nullptr, All);
      if (Change(*All[I].first, All[I].second, Copy.GetAllocator()))
        Out.push_back(serialize(Copy));
    };
    for (const char *R : Replacements)
      Mutate([&](Value &V, Value *, auto &A) {
        rapidjson::Document New(&A);
        New.Parse(R);
        V.CopyFrom(New, A);
        return true;
      });
    for (const char *Key : {"bogus", "x-note", "nmae"})
      Mutate([&](Value &V, Value *, auto &A) {
        if (!V.IsObject())
          return false;
        V.AddMember(Value(Key, A), Value(1), A);
        return true;
      });
    Mutate([&](Value &V, Value *Parent, auto &) {
      if (!Parent)
        return false;
      for (auto It = Parent->MemberBegin(); It != Parent->MemberEnd(); ++It)
        if (&It->value == &V) {
          Parent->EraseMember(It);
          return true;
        }
      return false;
    });
  }
  return Out;
}

const rapidjson::Document &embeddedSchema() {
  static rapidjson::Document D = [] {
    rapidjson::Document S;
    S.Parse(connectorSchemaText().data(), connectorSchemaText().size());
    return S;
  }();
  return D;
}
} // namespace

TEST(CompiledSchema, CompilesTheEmbeddedSchemaCompletely) {
  CompiledSchema S(embeddedSchema());
  EXPECT_TRUE(S.isComplete())
      << "connector.schema.json uses a keyword CompiledSchema does not "
         "check: every file would go to valijson";
}

TEST(CompiledSchema, UnknownKeywordsMakeItIncomplete) {
  rapidjson::Document Schema;
  Schema.Parse(R"({"type": "object", "properties": {"a": {"oneOf": []}}})");
  CompiledSchema S(Schema);
  EXPECT_FALSE(S.isComplete());
  rapidjson::Document Doc;
  Doc.Parse("{}");
  EXPECT_FALSE(S.conforms(Doc));
}

TEST(CompiledSchema, FollowsRecursiveReferences) {
  rapidjson::Document Schema;
  Schema.Parse(R"({"$ref": "#/definitions/t", "definitions": {"t": {
      "type": "object", "additionalProperties": false,
      "properties": {"sub": {"$ref": "#/definitions/t"},
                     "n": {"type": "integer", "minimum": 1}}}}})");
  CompiledSchema S(Schema);
  ASSERT_TRUE(S.isComplete());
  rapidjson::Document Doc;
  Doc.Parse(R"({"sub": {"sub": {"n": 2}}})");
  EXPECT_TRUE(S.conforms(Doc));
  Doc.Parse(R"({"sub": {"sub": {"n": 0}}})");
  EXPECT_FALSE(S.conforms(Doc));
  Doc.Parse(R"({"sub": {"sub": {"m": 2}}})");
  EXPECT_FALSE(S.conforms(Doc));
}

TEST(CompiledSchema, CharacterClassPatternsMatchLikeLlvmRegex) {
  for (llvm::StringRef Source :
       {"^[A-Za-z0-9._-]+$", "^[a-c]*$", "^[-a]+$", "^[!--]+$", "^[a-]+$"}) {
    std::optional<CompiledSchema::Pattern> P =
        CompiledSchema::Pattern::compile(Source);
    ASSERT_TRUE(P) << Source.str();
    EXPECT_TRUE(P->isCharacterClass()) << Source.str();
    llvm::Regex Re(Source);
    std::vector<std::string> Inputs = {"",
                                       "abc",
                                       "a b",
                                       "a\nb",
                                       "x-y.z_1",
                                       "caf\xc3\xa9",
                                       std::string("a\0b", 3)};
    for (int C = 0; C < 256; ++C)
      Inputs.push_back(std::string(1, static_cast<char>(C)) + "a");
    for (const std::string &In : Inputs)
      EXPECT_EQ(P->matches(In), Re.match(In))
          << Source.str() << " on '" << In << "'";
  }
  std::optional<CompiledSchema::Pattern> Duration =
      CompiledSchema::Pattern::compile("^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$");
  ASSERT_TRUE(Duration);
  EXPECT_FALSE(Duration->isCharacterClass());
  EXPECT_TRUE(Duration->matches("1h30m"));
  EXPECT_FALSE(Duration->matches("30 m"));
  EXPECT_FALSE(CompiledSchema::Pattern::compile("^[a-+$"));
}

TEST(CompiledSchema, AgreesWithValijsonOnTheCorpus) {
  unsigned Parsed = 0, Valid = 0;
  for (const Sample &S : corpus()) {
    Verdicts V = judge(S.Text);
    if (!V.Parsed)
      continue;
    ++Parsed;
    Valid += V.Reference;
    EXPECT_EQ(V.Quick, V.Reference) << S.Name;
  }
  // The corpus must exercise both answers.
  EXPECT_GT(Parsed, 100u);
  EXPECT_GT(Valid, 20u);
  EXPECT_GT(Parsed - Valid, 20u);
}

TEST(CompiledSchema, AgreesWithValijsonOnMutatedExamples) {
  unsigned Tried = 0, Valid = 0;
  for (const Sample &S : examples()) {
    for (const std::string &Text : mutations(S.Text)) {
      Verdicts V = judge(Text);
      if (!V.Parsed)
        continue;
      ++Tried;
      Valid += V.Reference;
      EXPECT_EQ(V.Quick, V.Reference) << S.Name << ":\n" << Text;
    }
  }
  EXPECT_GT(Tried, 1000u);
  EXPECT_GT(Valid, 100u);
}
