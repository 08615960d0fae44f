//===- DiagnosticPrinterTest.cpp - human, JSON, SARIF and GitHub output ---===//
#include "ir/DiagnosticPrinter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

using namespace connectorc;

namespace {
/// A source buffer and an engine holding a few diagnostics about it.
class Printed : public testing::Test {
protected:
  void SetUp() override { addBuffer(Source, "spec.json"); }

  void addBuffer(llvm::StringRef Text, llvm::StringRef Name) {
    unsigned Id = SM.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(Text, Name), llvm::SMLoc());
    Start = SM.getMemoryBuffer(Id)->getBufferStart();
  }
  /// The range of the first occurrence of \p Needle in the buffer.
  llvm::SMRange find(llvm::StringRef Needle) const {
    size_t Off = llvm::StringRef(Start).find(Needle);
    EXPECT_NE(Off, std::string::npos) << Needle.str();
    return {llvm::SMLoc::getFromPointer(Start + Off),
            llvm::SMLoc::getFromPointer(Start + Off + Needle.size())};
  }
  std::string print(DiagFormat Format, bool Werror = false) const {
    DiagPrintOptions Opts;
    Opts.Format = Format;
    Opts.WarningsAsErrors = Werror;
    Opts.ToolVersion = "9.8.7";
    std::string Out;
    llvm::raw_string_ostream OS(Out);
    printDiagnostics(OS, Diags, Opts);
    return OS.str();
  }
  /// An unknown key with a fix-it, a warning, and a file-level error.
  void reportTypical() {
    llvm::SMRange Key = find("\"promt\"");
    Diags.report(DiagKind::UnknownKey, Key, "promt", "phase",
                 "; did you mean 'prompt'?")
        .fixIt(Key, "\"prompt\"");
    Diags.report(DiagKind::MissingName, find("{"), "spec");
    Diags.reportFile(DiagKind::FileUnreadable, "gone.json", "gone.json",
                     "No such file or directory");
  }

  static constexpr const char *Source = "{\n"
                                        "  \"name\": 1, \"promt\": \"x\",\n"
                                        "  \"caf\xC3\xA9\": 2, \"n\xC3\xA9\": 3\n"
                                        "}\n";
  llvm::SourceMgr SM;
  DiagnosticEngine Diags{SM};
  const char *Start = nullptr;
};

std::vector<std::string> lines(llvm::StringRef Text) {
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  Text.split(Parts, '\n', -1, /*KeepEmpty=*/false);
  return {Parts.begin(), Parts.end()};
}

std::string str(const rapidjson::Value &V) {
  return std::string(V.GetString(), V.GetStringLength());
}
} // namespace

TEST_F(Printed, HumanHasCaretAndFixIt) {
  reportTypical();
  std::vector<std::string> L = lines(print(DiagFormat::Human));
  ASSERT_EQ(L.size(), 8u);
  EXPECT_EQ(L[0], "spec.json:2:14: error: unknown key 'promt' in phase; did "
                  "you mean 'prompt'?");
  EXPECT_EQ(L[1], "  \"name\": 1, \"promt\": \"x\",");
  EXPECT_EQ(L[2], "             ^~~~~~~");
  EXPECT_EQ(L[3], "             \"prompt\"");
  EXPECT_EQ(L[4], "spec.json:1:1: warning: missing \"name\"; the workflow is "
                  "named 'spec' after its file");
  EXPECT_EQ(L[5], "{");
  EXPECT_EQ(L[6], "^");
  EXPECT_EQ(L[7], "connectorc: gone.json: error: cannot read 'gone.json': No "
                  "such file or directory");
}

TEST_F(Printed, HumanWerror) {
  Diags.report(DiagKind::MissingName, find("{"), "spec");
  std::string Out = print(DiagFormat::Human, /*Werror=*/true);
  EXPECT_NE(Out.find("spec.json:1:1: error: missing \"name\"; the workflow is "
                     "named 'spec' after its file [-Werror]"),
            std::string::npos)
      << Out;
  EXPECT_EQ(Out.find("warning"), std::string::npos) << Out;
}

TEST_F(Printed, JsonIsOneObjectPerLine) {
  reportTypical();
  std::vector<std::string> L = lines(print(DiagFormat::Json));
  ASSERT_EQ(L.size(), 3u);
  rapidjson::Document D[3];
  for (int I = 0; I < 3; ++I) {
    ASSERT_FALSE(D[I].Parse(L[I].c_str()).HasParseError()) << L[I];
    ASSERT_TRUE(D[I].IsObject());
  }
  EXPECT_EQ(str(D[0]["file"]), "spec.json");
  EXPECT_EQ(D[0]["line"].GetInt(), 2);
  EXPECT_EQ(D[0]["column"].GetInt(), 14);
  EXPECT_EQ(str(D[0]["level"]), "error");
  EXPECT_EQ(str(D[0]["rule"]), "unknown-key");
  EXPECT_EQ(str(D[0]["message"]),
            "unknown key 'promt' in phase; did you mean 'prompt'?");
  ASSERT_EQ(D[0]["fixits"].Size(), 1u);
  const rapidjson::Value &Fix = D[0]["fixits"][0];
  EXPECT_EQ(Fix["line"].GetInt(), 2);
  EXPECT_EQ(Fix["column"].GetInt(), 14);
  EXPECT_EQ(Fix["length"].GetInt(), 7);
  EXPECT_EQ(str(Fix["replacement"]), "\"prompt\"");

  EXPECT_EQ(str(D[1]["level"]), "warning");
  EXPECT_EQ(str(D[1]["rule"]), "missing-name");
  EXPECT_EQ(D[1]["fixits"].Size(), 0u);

  // A file-level diagnostic has no position.
  EXPECT_EQ(str(D[2]["file"]), "gone.json");
  EXPECT_EQ(D[2]["line"].GetInt(), 0);
  EXPECT_EQ(D[2]["column"].GetInt(), 0);
}

TEST_F(Printed, JsonWerror) {
  Diags.report(DiagKind::MissingName, find("{"), "spec");
  Diags.report(DiagKind::PreviousKey, find("\"promt\""), "promt");
  std::vector<std::string> L = lines(print(DiagFormat::Json, /*Werror=*/true));
  ASSERT_EQ(L.size(), 2u);
  EXPECT_NE(L[0].find("\"level\":\"error\""), std::string::npos) << L[0];
  EXPECT_NE(L[1].find("\"level\":\"note\""), std::string::npos) << L[1];
}

TEST_F(Printed, GithubEscapesMessagesAndProperties) {
  Diags.report(DiagKind::UnknownKey, find("\"promt\""), "a%b,c:d\ne\rf",
               "phase", "");
  Diags.report(DiagKind::PreviousKey, find("\"promt\""), "x");
  Diags.reportFile(DiagKind::FileUnreadable, "dir:a,b%.json", "x", "y");
  std::vector<std::string> L = lines(print(DiagFormat::Github));
  ASSERT_EQ(L.size(), 3u);
  // In the message only '%', CR and LF are escaped.
  EXPECT_EQ(L[0], "::error file=spec.json,line=2,col=14,title=unknown-key::"
                  "unknown key 'a%25b,c:d%0Ae%0Df' in phase");
  EXPECT_EQ(L[1], "::notice file=spec.json,line=2,col=14,title=previous-key::"
                  "'x' was first defined here");
  // In a property ',' and ':' are escaped too; no position, no line/col.
  EXPECT_EQ(L[2], "::error file=dir%3Aa%2Cb%25.json,title=file-unreadable::"
                  "cannot read 'x': y");
}

TEST_F(Printed, GithubWerror) {
  Diags.report(DiagKind::MissingName, find("{"), "spec");
  EXPECT_EQ(print(DiagFormat::Github).substr(0, 10), "::warning ");
  EXPECT_EQ(print(DiagFormat::Github, /*Werror=*/true).substr(0, 8),
            "::error ");
}

TEST_F(Printed, Sarif) {
  reportTypical();
  // A second unknown key: the same rule, not a new one.
  Diags.report(DiagKind::UnknownKey, find("\"x\""), "x", "phase", "");
  std::string Out = print(DiagFormat::Sarif);
  rapidjson::Document Log;
  ASSERT_FALSE(Log.Parse(Out.c_str()).HasParseError()) << Out;
  EXPECT_EQ(str(Log["version"]), "2.1.0");
  EXPECT_NE(str(Log["$schema"]).find("sarif-2.1.0"), std::string::npos);
  ASSERT_EQ(Log["runs"].Size(), 1u);
  const rapidjson::Value &Run = Log["runs"][0];
  EXPECT_EQ(str(Run["tool"]["driver"]["name"]), "connectorc");
  EXPECT_EQ(str(Run["tool"]["driver"]["version"]), "9.8.7");
  EXPECT_EQ(str(Run["columnKind"]), "unicodeCodePoints");

  // One rule per kind that occurs, in order of first occurrence.
  const rapidjson::Value &Rules = Run["tool"]["driver"]["rules"];
  ASSERT_EQ(Rules.Size(), 3u);
  EXPECT_EQ(str(Rules[0]["id"]), "unknown-key");
  EXPECT_EQ(str(Rules[1]["id"]), "missing-name");
  EXPECT_EQ(str(Rules[2]["id"]), "file-unreadable");
  EXPECT_EQ(str(Rules[1]["defaultConfiguration"]["level"]), "warning");
  EXPECT_FALSE(str(Rules[0]["shortDescription"]["text"]).empty());

  const rapidjson::Value &Results = Run["results"];
  ASSERT_EQ(Results.Size(), 4u);
  for (const rapidjson::Value &R : Results.GetArray()) {
    unsigned Index = R["ruleIndex"].GetUint();
    ASSERT_LT(Index, Rules.Size());
    EXPECT_EQ(str(R["ruleId"]), str(Rules[Index]["id"]));
  }
  EXPECT_EQ(Results[3]["ruleIndex"].GetUint(), 0u);

  const rapidjson::Value &Region =
      Results[0]["locations"][0]["physicalLocation"]["region"];
  EXPECT_EQ(Region["startLine"].GetInt(), 2);
  EXPECT_EQ(Region["startColumn"].GetInt(), 14);
  EXPECT_EQ(str(Results[0]["locations"][0]["physicalLocation"]
                          ["artifactLocation"]["uri"]),
            "spec.json");
  EXPECT_EQ(str(Results[0]["level"]), "error");
  EXPECT_EQ(str(Results[1]["level"]), "warning");
  EXPECT_EQ(str(Results[0]["message"]["text"]),
            "unknown key 'promt' in phase; did you mean 'prompt'?");
  // A file-level result still has a region (SARIF viewers need one).
  const rapidjson::Value &FileRegion =
      Results[2]["locations"][0]["physicalLocation"]["region"];
  EXPECT_EQ(FileRegion["startLine"].GetInt(), 1);
  EXPECT_EQ(FileRegion["startColumn"].GetInt(), 1);
}

TEST_F(Printed, ColumnsAfterNonAsciiText) {
  // Line 3 is `  "café": 2, "né": 3`: "né" starts at byte 15, code point 14.
  Diags.report(DiagKind::PreviousKey, find("\"n\xC3\xA9\""), "n\xC3\xA9");
  // JSON and GitHub count bytes, like the human format's file:line:col.
  EXPECT_NE(print(DiagFormat::Json).find("\"line\":3,\"column\":15"),
            std::string::npos);
  EXPECT_NE(print(DiagFormat::Github).find(",line=3,col=15,"),
            std::string::npos);
  EXPECT_NE(print(DiagFormat::Human).find("spec.json:3:15: note:"),
            std::string::npos);
  // SARIF declares columnKind unicodeCodePoints.
  rapidjson::Document Log;
  std::string Out = print(DiagFormat::Sarif);
  ASSERT_FALSE(Log.Parse(Out.c_str()).HasParseError()) << Out;
  const rapidjson::Value &Region = Log["runs"][0]["results"][0]["locations"][0]
                                      ["physicalLocation"]["region"];
  EXPECT_EQ(Region["startLine"].GetInt(), 3);
  EXPECT_EQ(Region["startColumn"].GetInt(), 14);
}

// llvm::SourceMgr prints no caret and no fix-it for a line with any non-ASCII
// byte; the printer adds both, by display column.
TEST_F(Printed, HumanCaretOnNonAsciiLine) {
  llvm::SMRange Key = find("\"n\xC3\xA9\"");
  Diags.report(DiagKind::UnknownKey, Key, "n\xC3\xA9", "phase",
               "; did you mean 'name'?")
      .fixIt(Key, "\"name\"");
  std::vector<std::string> L = lines(print(DiagFormat::Human));
  ASSERT_EQ(L.size(), 4u);
  EXPECT_EQ(L[0], "spec.json:3:15: error: unknown key 'n\xC3\xA9' in phase; "
                  "did you mean 'name'?");
  EXPECT_EQ(L[1], "  \"caf\xC3\xA9\": 2, \"n\xC3\xA9\": 3");
  EXPECT_EQ(L[2], "             ^~~~");
  EXPECT_EQ(L[3], "             \"name\"");
}

TEST_F(Printed, HumanCaretAfterWideCharactersAndTabs) {
  // "日本" is two characters of two columns each; the tab after the 9 bytes
  // (7 columns) of `{"日本"` is expanded by SourceMgr to 7 spaces (it counts
  // bytes), so the key is shown from column 7 + 7 = 14.
  addBuffer("{\"\xE6\x97\xA5\xE6\x9C\xAC\"\t\"promt\": 1}\n", "wide.json");
  llvm::SMRange Key = find("\"promt\"");
  Diags.report(DiagKind::UnknownKey, Key, "promt", "phase", "")
      .fixIt(Key, "\"pr\xC3\xB6mpt\"");
  std::vector<std::string> L = lines(print(DiagFormat::Human));
  ASSERT_EQ(L.size(), 4u);
  EXPECT_EQ(L[1], "{\"\xE6\x97\xA5\xE6\x9C\xAC\"       \"promt\": 1}");
  EXPECT_EQ(L[2], std::string(14, ' ') + "^~~~~~~");
  EXPECT_EQ(L[3], std::string(14, ' ') + "\"pr\xC3\xB6mpt\"");
}

TEST_F(Printed, HumanCaretAtEndOfNonAsciiLine) {
  // A diagnostic at the line break: the caret goes one past the last column.
  addBuffer("[\"\xC3\xA9\"\n", "end.json");
  Diags.report(DiagKind::ParseError, find("\n"), "missing ']'");
  std::vector<std::string> L = lines(print(DiagFormat::Human));
  ASSERT_EQ(L.size(), 3u);
  EXPECT_EQ(L[2], "    ^");
}

TEST_F(Printed, MachineFormatsFixInvalidUtf8) {
  // A file name that is not UTF-8 (legal on Linux) and a message quoting it:
  // JSON, SARIF and GitHub output must stay UTF-8 (U+FFFD replaces the byte).
  Diags.reportFile(DiagKind::FileUnreadable, "a\xFF.json", "a\xFF.json",
                   "No such file or directory");
  for (DiagFormat F : {DiagFormat::Json, DiagFormat::Sarif, DiagFormat::Github}) {
    std::string Out = print(F);
    EXPECT_EQ(Out.find("\xFF"), std::string::npos) << Out;
    EXPECT_NE(Out.find("a\xEF\xBF\xBD.json"), std::string::npos) << Out;
  }
  rapidjson::Document D;
  ASSERT_FALSE(D.Parse(print(DiagFormat::Json).c_str()).HasParseError());
  EXPECT_EQ(str(D["message"]),
            "cannot read 'a\xEF\xBF\xBD.json': No such file or directory");
}

TEST_F(Printed, SarifWerror) {
  Diags.report(DiagKind::MissingName, find("{"), "spec");
  rapidjson::Document Log;
  std::string Out = print(DiagFormat::Sarif, /*Werror=*/true);
  ASSERT_FALSE(Log.Parse(Out.c_str()).HasParseError()) << Out;
  EXPECT_EQ(str(Log["runs"][0]["results"][0]["level"]), "error");
  // The rule keeps its default level.
  EXPECT_EQ(str(Log["runs"][0]["tool"]["driver"]["rules"][0]
                   ["defaultConfiguration"]["level"]),
            "warning");
}

TEST_F(Printed, EmptyOutputs) {
  EXPECT_EQ(print(DiagFormat::Human), "");
  EXPECT_EQ(print(DiagFormat::Json), "");
  EXPECT_EQ(print(DiagFormat::Github), "");
  rapidjson::Document Log;
  std::string Out = print(DiagFormat::Sarif);
  ASSERT_FALSE(Log.Parse(Out.c_str()).HasParseError()) << Out;
  EXPECT_EQ(Log["runs"][0]["results"].Size(), 0u);
  EXPECT_EQ(Log["runs"][0]["tool"]["driver"]["rules"].Size(), 0u);
}

TEST(EffectiveLevel, WerrorTurnsWarningsIntoErrors) {
  DiagPrintOptions Plain, Werror;
  Werror.WarningsAsErrors = true;
  Diagnostic W{DiagKind::MissingName, DiagLevel::Warning, {}, "", "", {}};
  Diagnostic E{DiagKind::ParseError, DiagLevel::Error, {}, "", "", {}};
  Diagnostic N{DiagKind::PreviousKey, DiagLevel::Note, {}, "", "", {}};
  EXPECT_EQ(effectiveLevel(W, Plain), DiagLevel::Warning);
  EXPECT_EQ(effectiveLevel(W, Werror), DiagLevel::Error);
  EXPECT_EQ(effectiveLevel(E, Werror), DiagLevel::Error);
  EXPECT_EQ(effectiveLevel(N, Werror), DiagLevel::Note);
}
