//===- YamlQuoteTest.cpp - every string survives the YAML quoting ---------===//
//
// The CI backends' one YAML quoting function over the adversarial corpus:
// each string, in both styles, read back byte for byte by yaml-cpp and by
// PyYAML (a second, independent parser, YAML 1.1 with its boolean words).
//
//===----------------------------------------------------------------------===//
#include "AdversarialCorpus.h"

#include "backends/YamlQuote.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

using namespace connectorc;

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> Out = test::adversarialCorpus();
  // Shapes the block style must get right or refuse.
  for (const char *Extra : {"echo a\nb\n", "x\n", "a\n\n", "a \nb\n",
                            " lead\nb\n", "\n", "a\nb", "tab\t\nb\n"})
    Out.push_back(Extra);
  return Out;
}

/// The corpus as one YAML sequence of scalars, each twice: Auto, Block.
std::string document(const std::vector<std::string> &Strings) {
  YAML::Emitter Out;
  Out << YAML::BeginSeq;
  for (const std::string &S : Strings) {
    emitYamlString(Out, S, YamlStyle::Auto);
    emitYamlString(Out, S, YamlStyle::Block);
  }
  Out << YAML::EndSeq;
  return Out.c_str();
}

TEST(YamlQuoteTest, CorpusIsLoaded) { EXPECT_GE(corpus().size(), 151u); }

TEST(YamlQuoteTest, YamlCppReadsEveryStringBack) {
  std::vector<std::string> Strings = corpus();
  YAML::Node N = YAML::Load(document(Strings));
  ASSERT_TRUE(N.IsSequence());
  ASSERT_EQ(N.size(), 2 * Strings.size());
  for (size_t I = 0; I < Strings.size(); ++I) {
    EXPECT_EQ(N[2 * I].as<std::string>(), Strings[I]) << "auto, string " << I;
    EXPECT_EQ(N[2 * I + 1].as<std::string>(), Strings[I])
        << "block, string " << I;
  }
}

TEST(YamlQuoteTest, PyYamlReadsEveryStringBack) {
  std::vector<std::string> Strings = corpus();
  // Both parses must be strings equal to the original bytes.
  const char *Check =
      "import sys, yaml\n"
      "got = yaml.safe_load(open(sys.argv[1], encoding='utf-8'))\n"
      "want = [bytes.fromhex(l.strip()) for l in open(sys.argv[2])]\n"
      "assert len(got) == 2 * len(want), (len(got), len(want))\n"
      "bad = [i for i, g in enumerate(got) if not isinstance(g, str)"
      " or g.encode('utf-8') != want[i // 2]]\n"
      "print('mismatches:', bad)\n"
      "sys.exit(1 if bad else 0)\n";
  test::expectPythonReadsBack(Check, document(Strings), Strings);
}

TEST(YamlQuoteTest, BlockStyleOnlyWhereExact) {
  YAML::Emitter Out;
  Out << YAML::BeginSeq;
  emitYamlString(Out, "set -eu\necho hi\n", YamlStyle::Block);
  emitYamlString(Out, "no newline\nat end", YamlStyle::Block);
  Out << YAML::EndSeq;
  llvm::StringRef Text = Out.c_str();
  EXPECT_TRUE(Text.contains("- |\n  set -eu\n  echo hi")) << Text.str();
  EXPECT_TRUE(Text.contains("\"no newline\\nat end\"")) << Text.str();
}

TEST(YamlQuoteTest, KeywordsAndNumbersAreQuoted) {
  for (const char *S : {"on", "No", "true", "null", "012", "1e3", "~", "-",
                        ".inf", "0x1F", "y"}) {
    YAML::Emitter Out;
    emitYamlString(Out, S);
    EXPECT_EQ(Out.c_str(), "\"" + std::string(S) + "\"");
  }
  YAML::Emitter Out;
  emitYamlString(Out, "ubuntu-latest");
  EXPECT_STREQ(Out.c_str(), "ubuntu-latest");
}

} // namespace
