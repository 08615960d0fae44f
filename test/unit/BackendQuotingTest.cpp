//===- BackendQuotingTest.cpp - the cron, systemd, dot, mermaid quoting ---===//
//
// Each quoting function of the scheduling and graph backends on the
// adversarial corpus: decoding its output the way the consumer reads it
// gives the string back, and where the consumer is on this machine (sh,
// systemd-analyze, dot) it accepts the result.
//
//===----------------------------------------------------------------------===//
#include "AdversarialCorpus.h"

#include "backends/PlanGraph.h"
#include "backends/Scheduled.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> Strings = test::adversarialCorpus();
  EXPECT_GT(Strings.size(), 100u);
  return Strings;
}

/// Runs \p Argv; returns its exit status and fills \p Output with what it
/// printed (stdout and stderr).
int runProgram(llvm::ArrayRef<llvm::StringRef> Argv, std::string &Output) {
  llvm::SmallString<128> OutFile;
  llvm::sys::fs::createTemporaryFile("connectorc-quoting", "out", OutFile);
  llvm::ErrorOr<std::string> Exe = llvm::sys::findProgramByName(Argv[0]);
  EXPECT_TRUE(bool(Exe)) << Argv[0].str()
                         << " is not installed (scripts/setup.sh)";
  if (!Exe)
    return -1;
  llvm::Optional<llvm::StringRef> Redirects[] = {
      llvm::StringRef(""), llvm::StringRef(OutFile), llvm::StringRef(OutFile)};
  int Status = llvm::sys::ExecuteAndWait(*Exe, Argv, llvm::None, Redirects);
  if (auto Buf = llvm::MemoryBuffer::getFile(OutFile))
    Output = (*Buf)->getBuffer().str();
  llvm::sys::fs::remove(OutFile);
  return Status;
}

std::string tempPath(llvm::StringRef Name) {
  llvm::SmallString<128> Dir;
  llvm::sys::fs::createUniqueDirectory("connectorc-quoting", Dir);
  llvm::sys::path::append(Dir, Name);
  return std::string(Dir);
}

//===-- crontab
//------------------------------------------------------------===//

/// What cron hands the shell: cronie's do_command turns `\%` into `%` and
/// stops the command at an unescaped `%` (the rest becomes stdin).
std::string cronCommand(llvm::StringRef Entry) {
  std::string Out;
  bool Escaped = false;
  for (char C : Entry) {
    if (Escaped) {
      if (C == '%')
        Out.back() = '%';
      else
        Out += C;
      Escaped = false;
      continue;
    }
    if (C == '%')
      break;
    Escaped = C == '\\';
    Out += C;
  }
  return Out;
}

TEST(CrontabQuoting, ShellReadsEveryCorpusStringBack) {
  for (const std::string &S : corpus()) {
    std::optional<std::string> Q = quoteCrontabArg(S);
    if (S.find_first_of("\r\n") != std::string::npos) {
      EXPECT_FALSE(Q) << S;
      continue;
    }
    ASSERT_TRUE(Q) << S;
    std::string Output;
    std::string Script = "printf '%s' " + cronCommand(*Q);
    ASSERT_EQ(runProgram({"sh", "-c", Script}, Output), 0) << Script;
    EXPECT_EQ(Output, S) << *Q;
  }
}

TEST(CrontabQuoting, EscapesPercentOutsideItsOwnBackslash) {
  EXPECT_EQ(*quoteCrontabArg("100%"), "'100\\%'");
  EXPECT_EQ(*quoteCrontabArg("a\\%"), "'a\\''\\%'");
  EXPECT_EQ(*quoteCrontabArg("it's"), "'it'\\''s'");
}

//===-- systemd
//------------------------------------------------------------===//

/// The words systemd makes of an ExecStart= value: specifiers (only `%%`
/// here), then words with quotes and C escapes, then `$$` in each word.
/// Fails the test on anything else.
std::vector<std::string> systemdWords(llvm::StringRef Line) {
  std::string Spec;
  for (size_t I = 0; I < Line.size(); ++I) {
    Spec += Line[I];
    if (Line[I] == '%') {
      EXPECT_TRUE(I + 1 < Line.size() && Line[I + 1] == '%') << Line.str();
      ++I;
    }
  }
  std::vector<std::string> Words;
  std::string Word;
  bool Quoted = false, InWord = false;
  for (size_t I = 0; I < Spec.size(); ++I) {
    char C = Spec[I];
    if (!Quoted && C == ' ') {
      if (InWord)
        Words.push_back(Word);
      Word.clear();
      InWord = false;
    } else if (C == '"') {
      Quoted = !Quoted;
      InWord = true;
    } else if (C == '\\') {
      char E = Spec[++I];
      if (E == 'n')
        Word += '\n';
      else if (E == 't')
        Word += '\t';
      else if (E == 'x') {
        Word +=
            static_cast<char>(llvm::hexFromNibbles(Spec[I + 1], Spec[I + 2]));
        I += 2;
      } else
        Word += E;
    } else {
      Word += C;
      InWord = true;
    }
  }
  EXPECT_FALSE(Quoted) << Line.str();
  if (InWord)
    Words.push_back(Word);
  for (std::string &W : Words) {
    std::string Env;
    for (size_t I = 0; I < W.size(); ++I) {
      Env += W[I];
      if (W[I] == '$') {
        EXPECT_TRUE(I + 1 < W.size() && W[I + 1] == '$') << Line.str();
        ++I;
      }
    }
    W = Env;
  }
  return Words;
}

TEST(SystemdQuoting, EveryCorpusStringIsOneWord) {
  for (const std::string &S : corpus()) {
    std::string Q = quoteSystemdArg(S);
    EXPECT_EQ(Q.find('\n'), std::string::npos) << S;
    std::vector<std::string> Words = systemdWords("/bin/true " + Q + " x");
    ASSERT_EQ(Words.size(), 3u) << Q;
    EXPECT_EQ(Words[1], S) << Q;
  }
}

TEST(SystemdQuoting, Examples) {
  EXPECT_EQ(quoteSystemdArg("100% $HOME"), "\"100%% $$HOME\"");
  EXPECT_EQ(quoteSystemdArg("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(quoteSystemdArg(""), "\"\"");
  EXPECT_EQ(quoteSystemdArg(";"), "\";\"");
}

TEST(SystemdQuoting, SystemdAnalyzeVerifiesTheCorpusAsArguments) {
  std::string Unit = tempPath("connector-quoting.service");
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Unit, EC);
    ASSERT_FALSE(EC);
    OS << "[Unit]\nDescription=quoting\n\n[Service]\nType=oneshot\n"
          "ExecStart=/bin/true";
    for (const std::string &S : corpus())
      OS << ' ' << quoteSystemdArg(S);
    OS << '\n';
  }
  std::string Output;
  EXPECT_EQ(runProgram({"systemd-analyze", "verify", "--man=no", Unit}, Output),
            0)
      << Output;
  EXPECT_EQ(Output, "");
}

//===-- dot
//----------------------------------------------------------------===//

/// The text Graphviz shows for a quoted label: pieces joined by `" + "` are
/// one string, the lexer turns `\"` into `"`, then the label's escapes `\\`
/// and `\n` become `\` and a line break.
std::string dotText(llvm::StringRef Escaped) {
  std::string Out;
  for (size_t I = 0; I < Escaped.size(); ++I) {
    if (Escaped.substr(I).startswith("\" + \"")) {
      I += 4;
      continue;
    }
    EXPECT_NE(Escaped[I], '"') << "unescaped quote in " << Escaped.str();
    if (Escaped[I] != '\\') {
      Out += Escaped[I];
      continue;
    }
    char E = Escaped[++I];
    Out += E == 'n' ? '\n' : E;
  }
  return Out;
}

TEST(DotQuoting, LongStringsArePieces) {
  std::string Long(20000, 'x');
  std::string Escaped = escapeDotString(Long);
  EXPECT_EQ(Escaped.find("\" + \""), 8192u);
  EXPECT_EQ(dotText(Escaped), Long);
}

TEST(LabelText, LineBreaksAndControlCharacters) {
  EXPECT_EQ(labelText("a\r\nb\rc\nd\te\x1b"), "a\nb\nc\nd e ");
}

TEST(DotQuoting, GraphvizReadsEveryCorpusStringBack) {
  for (const std::string &S : corpus())
    EXPECT_EQ(dotText(escapeDotString(S)), labelText(S)) << S;
}

/// What Graphviz's lexer stores for a quoted string: the pieces joined and
/// `\"` turned into `"` (the label's own escapes are read when drawing).
std::string dotLexed(llvm::StringRef Escaped) {
  std::string Out;
  for (size_t I = 0; I < Escaped.size(); ++I) {
    if (Escaped.substr(I).startswith("\" + \"")) {
      I += 4;
      continue;
    }
    if (Escaped.substr(I).startswith("\\\""))
      ++I;
    else if (Escaped[I] == '\\')
      Out += Escaped[I++]; // a pair: `\\` stays two characters here
    Out += Escaped[I];
  }
  return Out;
}

TEST(DotQuoting, GraphvizParsesTheCorpus) {
  std::string Graph = tempPath("corpus.dot");
  std::vector<std::string> Strings = corpus();
  std::string Want;
  {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Graph, EC);
    ASSERT_FALSE(EC);
    OS << "digraph g {\n";
    for (size_t N = 0; N < Strings.size(); ++N) {
      std::string Escaped = escapeDotString(Strings[N]);
      OS << "  n" << N << " [label=\"" << Escaped << "\"];\n";
      Want += dotLexed(Escaped) + "\n";
    }
    OS << "}\n";
  }
  // gvpr prints each node's label as the parser stored it.
  std::string Output;
  EXPECT_EQ(runProgram({"gvpr", "N{print($.label)}", Graph}, Output), 0)
      << Output;
  EXPECT_EQ(Output, Want);
}

//===-- mermaid
//------------------------------------------------------------===//

/// The text Mermaid shows for a quoted label: `#<code>;` entities and
/// `<br>` line breaks decoded. Fails on characters Mermaid would read.
std::string mermaidText(llvm::StringRef Escaped) {
  std::string Out;
  while (!Escaped.empty()) {
    if (Escaped.consume_front("<br>")) {
      Out += '\n';
      continue;
    }
    char C = Escaped.front();
    EXPECT_TRUE(C == '#' || llvm::StringRef("\"<>&`[]{};|\\\n").find(C) ==
                                llvm::StringRef::npos)
        << "unescaped " << C;
    if (C == '#') {
      auto [Code, Rest] = Escaped.drop_front().split(';');
      unsigned Value = 0;
      EXPECT_FALSE(Code.getAsInteger(10, Value)) << Code.str();
      Out += static_cast<char>(Value);
      Escaped = Rest;
      continue;
    }
    Out += C;
    Escaped = Escaped.drop_front();
  }
  return Out;
}

TEST(MermaidQuoting, MermaidReadsEveryCorpusStringBack) {
  for (const std::string &S : corpus())
    EXPECT_EQ(mermaidText(escapeMermaidLabel(S)), labelText(S)) << S;
}

TEST(MermaidQuoting, Examples) {
  EXPECT_EQ(escapeMermaidLabel("say \"hi\""), "say #34;hi#34;");
  EXPECT_EQ(escapeMermaidLabel("a<b>\nc"), "a#60;b#62;<br>c");
  EXPECT_EQ(escapeMermaidLabel("claude/opus-4.1"), "claude/opus-4.1");
}

} // namespace
