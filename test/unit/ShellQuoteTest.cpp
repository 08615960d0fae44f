//===- ShellQuoteTest.cpp - the quoting functions over a hostile corpus ---===//
//
// Every string of test/unit/Inputs/adversarial-strings.json, quoted by
// shellQuote, is printed by `dash -c` and `bash -c` with `printf %s`; quoted
// by makeQuote, by a recipe of a Makefile run by `make`. The bytes
// printed must be the string's, and no command hidden in a string (they
// touch CANARY) may have run.
//
//===----------------------------------------------------------------------===//
#include "AdversarialCorpus.h"

#include "backends/ShellQuote.h"
#include "backends/ShellRunner.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {

class QuoteTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("shellquote", Dir));
    Strings = test::adversarialCorpus();
    ASSERT_EQ(Strings.size(), 151u);
  }
  void TearDown() override {
    EXPECT_FALSE(llvm::sys::fs::exists(Dir + "/CANARY"))
        << "a quoted string ran a command";
    llvm::sys::fs::remove_directories(Dir);
  }

  std::string file(llvm::StringRef Name) const {
    return (Dir + "/" + Name).str();
  }

  /// Runs \p Argv with standard output to a file; returns what it printed.
  std::string run(llvm::ArrayRef<llvm::StringRef> Argv) {
    std::string Out = file("out");
    // The redirection does not truncate: each run starts with no file.
    llvm::sys::fs::remove(Out);
    llvm::Optional<llvm::StringRef> Redirects[] = {
        llvm::StringRef(""), llvm::StringRef(Out), llvm::None};
    std::string Err;
    llvm::ErrorOr<std::string> Program = llvm::sys::findProgramByName(Argv[0]);
    EXPECT_TRUE(bool(Program)) << Argv[0].str() << " is not installed";
    if (!Program)
      return "";
    int RC = llvm::sys::ExecuteAndWait(*Program, Argv, llvm::None, Redirects, 0,
                                       0, &Err);
    EXPECT_EQ(RC, 0) << Err;
    auto Buf = llvm::MemoryBuffer::getFile(Out, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    return Buf ? (*Buf)->getBuffer().str() : std::string("<no output>");
  }

  void checkShell(llvm::StringRef Shell) {
    for (size_t I = 0; I < Strings.size(); ++I) {
      std::string Script =
          "cd " + shellQuote(Dir) + " && printf %s " + shellQuote(Strings[I]);
      EXPECT_EQ(run({Shell, "-c", Script}), Strings[I])
          << Shell.str() << ", corpus string " << I;
    }
  }

  llvm::SmallString<128> Dir;
  std::vector<std::string> Strings;
};

TEST_F(QuoteTest, ShellQuoteUnderDash) { checkShell("dash"); }

TEST_F(QuoteTest, ShellQuoteUnderBash) { checkShell("bash"); }

TEST_F(QuoteTest, ShellQuoteIsOneSingleQuotedWord) {
  EXPECT_EQ(shellQuote(""), "''");
  EXPECT_EQ(shellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(shellQuote("$(x)\n"), "'$(x)\n'");
}

// One Makefile, one rule per string (one make run, for speed): rule N
// prints string N into out.N.
TEST_F(QuoteTest, MakeQuoteInARecipe) {
  std::string Makefile = file("Makefile");
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Makefile, EC);
    ASSERT_FALSE(EC);
    OS << makeQuotePreamble() << "all:";
    for (size_t I = 0; I < Strings.size(); ++I)
      OS << " out." << I;
    OS << "\n";
    for (size_t I = 0; I < Strings.size(); ++I) {
      std::string Word = makeQuote(Strings[I]);
      EXPECT_EQ(Word.find('\n'), std::string::npos) << "corpus string " << I;
      OS << "out." << I << ":\n\t@printf %s " << Word << " >$@\n";
    }
  }
  run({"make", "-s", "-C", Dir, "-f", Makefile});
  for (size_t I = 0; I < Strings.size(); ++I) {
    auto Buf = llvm::MemoryBuffer::getFile(file("out." + std::to_string(I)),
                                           /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    ASSERT_TRUE(bool(Buf)) << "corpus string " << I;
    EXPECT_EQ((*Buf)->getBuffer(), Strings[I])
        << "corpus string " << I << ", recipe word " << makeQuote(Strings[I]);
  }
}

TEST_F(QuoteTest, MakeQuoteDoublesDollarsAndMovesNewlinesOut) {
  EXPECT_EQ(makeQuote("$(x)"), "'$$(x)'");
  EXPECT_EQ(makeQuote("a\nb"), "'a'\"$${CONNECTOR_NL}\"'b'");
  EXPECT_EQ(makeQuote("\n"), "''\"$${CONNECTOR_NL}\"");
  EXPECT_EQ(makeQuote(""), "''");
}

TEST(ShellTextTest, PromptExpandsTheRuntimesVariables) {
  ShellText Sh(ShellText::Dialect::Sh);
  Sh.prompt("in {run}: {scratchpad}/a {{x}} it's");
  EXPECT_EQ(Sh.str(), "'in '\"$RUN_DIR\"': '\"$RUN_DIR/scratchpad\"'/a {x} "
                      "it'\\''s'");
  ShellText Make(ShellText::Dialect::Make);
  Make.prompt("{run}$");
  EXPECT_EQ(Make.str(), "\"$$RUN_DIR\"'$$'");
  ShellText Empty(ShellText::Dialect::Sh);
  Empty.prompt("{{}}");
  EXPECT_EQ(Empty.str(), "'{}'");
  ShellText None(ShellText::Dialect::Sh);
  None.prompt("");
  EXPECT_EQ(None.str(), "''");
}

} // namespace
