//===- TemplateTest.cpp - rendering, escapes and problems ----------------===//
#include "ir/Template.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {
/// The variables the tests substitute: {worker} and {phase}; the others
/// stay templates, as {run} and {scratchpad} do at build time.
std::optional<llvm::StringRef> testVars(llvm::StringRef Name) {
  if (Name == "worker")
    return llvm::StringRef("3");
  if (Name == "phase")
    return llvm::StringRef("re{view}");
  return std::nullopt;
}

/// One template rendered both ways, with its problems.
struct Parse {
  explicit Parse(llvm::StringRef Text)
      : Expanded(expandTemplate(Text, testVars, Problems)),
        Substituted(substituteTemplate(Text, testVars)) {
    llvm::SmallVector<TemplateProblem, 2> Checked, Sized;
    checkTemplate(Text, Checked);
    // Sizing without building agrees with building, problems included.
    EXPECT_EQ(expandedSize(Text, testVars, Sized), Expanded.size())
        << Text.str();
    EXPECT_EQ(Sized.size(), Problems.size()) << Text.str();
    // The fast path finds exactly what rendering finds.
    EXPECT_EQ(Checked.size(), Problems.size()) << Text.str();
    for (size_t I = 0; I < std::min(Checked.size(), Problems.size()); ++I) {
      EXPECT_EQ(Checked[I].Kind, Problems[I].Kind) << Text.str();
      EXPECT_EQ(Checked[I].Offset, Problems[I].Offset) << Text.str();
    }
  }
  llvm::SmallVector<TemplateProblem, 2> Problems;
  std::string Expanded, Substituted;
};
} // namespace

/// Checks that \p P found exactly one problem, of \p Kind at \p Offset.
static void expectOneProblem(const Parse &P,
                             TemplateProblem::ProblemKind Kind, size_t Offset) {
  ASSERT_EQ(P.Problems.size(), 1u);
  EXPECT_EQ(P.Problems[0].Kind, Kind);
  EXPECT_EQ(P.Problems[0].Offset, Offset);
}

TEST(Template, LiteralOnly) {
  Parse P("no variables here");
  EXPECT_TRUE(P.Problems.empty());
  EXPECT_EQ(P.Expanded, "no variables here");
  EXPECT_EQ(P.Substituted, "no variables here");
  EXPECT_EQ(Parse("").Expanded, "");
}

TEST(Template, Variables) {
  Parse P("Hi {worker} of {phase}!");
  EXPECT_TRUE(P.Problems.empty());
  // Expanding keeps the result a template: the value's braces are escaped.
  EXPECT_EQ(P.Expanded, "Hi 3 of re{{view}}!");
  EXPECT_EQ(P.Substituted, "Hi 3 of re{view}!");

  // Variables the lookup does not know stay for the runtime.
  Parse Adjacent("{run}{scratchpad}{worker}");
  EXPECT_TRUE(Adjacent.Problems.empty());
  EXPECT_EQ(Adjacent.Expanded, "{run}{scratchpad}3");
}

TEST(Template, EveryVariableIsKnown) {
  for (llvm::StringRef V : templateVariables()) {
    Parse P("{" + V.str() + "}");
    EXPECT_TRUE(P.Problems.empty()) << V.str();
  }
}

TEST(Template, DoubledBracesAreLiteral) {
  Parse P("{{worker}} and }}{{");
  EXPECT_TRUE(P.Problems.empty());
  EXPECT_EQ(P.Expanded, "{{worker}} and }}{{");
  EXPECT_EQ(P.Substituted, "{worker} and }{");

  Parse Mixed("a {{b}} {worker}");
  EXPECT_TRUE(Mixed.Problems.empty());
  EXPECT_EQ(Mixed.Expanded, "a {{b}} 3");
  EXPECT_EQ(Mixed.Substituted, "a {b} 3");
}

TEST(Template, UnknownVariable) {
  Parse P("x {wrker} y {}");
  ASSERT_EQ(P.Problems.size(), 2u);
  EXPECT_EQ(P.Problems[0].Kind, TemplateProblem::UnknownVariable);
  EXPECT_EQ(P.Problems[0].Name, "wrker");
  EXPECT_EQ(P.Problems[0].Offset, 2u);
  EXPECT_EQ(P.Problems[0].Length, 7u);
  EXPECT_EQ(P.Problems[1].Kind, TemplateProblem::UnknownVariable);
  EXPECT_EQ(P.Problems[1].Name, "");
  EXPECT_EQ(P.Problems[1].Offset, 12u);
  EXPECT_EQ(P.Problems[1].Length, 2u);
  // Kept as written, and the rest of the template is understood.
  EXPECT_EQ(Parse("x {wrker} {worker}").Expanded, "x {wrker} 3");
}

TEST(Template, Unterminated) {
  Parse AtEnd("see {worker");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(AtEnd, TemplateProblem::Unterminated, 4));
  EXPECT_EQ(AtEnd.Problems[0].Length, 1u);

  // A '{' before the next '{' is unterminated; the next one still works.
  Parse Nested("a {b {worker}");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(Nested, TemplateProblem::Unterminated, 2));
  EXPECT_EQ(Nested.Substituted, "a b 3");

  Parse Lone("{");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(Lone, TemplateProblem::Unterminated, 0));
}

TEST(Template, UnmatchedClose) {
  Parse P("a } b");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(P, TemplateProblem::UnmatchedClose, 2));
  EXPECT_EQ(P.Problems[0].Length, 1u);

  // "}}}" is a literal '}' and then an unmatched one.
  Parse Triple("}}}");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(Triple, TemplateProblem::UnmatchedClose, 2));
}

TEST(Template, EveryProblemIsReported) {
  Parse P("} {nope} {worker {");
  ASSERT_EQ(P.Problems.size(), 4u);
  EXPECT_EQ(P.Problems[0].Kind, TemplateProblem::UnmatchedClose);
  EXPECT_EQ(P.Problems[0].Offset, 0u);
  EXPECT_EQ(P.Problems[1].Kind, TemplateProblem::UnknownVariable);
  EXPECT_EQ(P.Problems[1].Offset, 2u);
  EXPECT_EQ(P.Problems[2].Kind, TemplateProblem::Unterminated);
  EXPECT_EQ(P.Problems[2].Offset, 9u);
  EXPECT_EQ(P.Problems[3].Kind, TemplateProblem::Unterminated);
  EXPECT_EQ(P.Problems[3].Offset, 17u);
}

/// splitPrompt's pieces as text: a literal in quotes, RUN, SCRATCHPAD.
std::string pieces(llvm::StringRef Prompt) {
  std::string Out;
  for (const PromptPiece &P : splitPrompt(Prompt)) {
    Out += Out.empty() ? "" : " ";
    switch (P.Kind) {
    case PromptPieceKind::Literal:
      EXPECT_FALSE(P.Text.empty()) << Prompt.str();
      Out += "'" + P.Text + "'";
      break;
    case PromptPieceKind::RunDir:
      Out += "RUN";
      break;
    case PromptPieceKind::Scratchpad:
      Out += "SCRATCHPAD";
      break;
    }
  }
  return Out;
}

TEST(SplitPrompt, RuntimeVariablesArePieces) {
  EXPECT_EQ(pieces(""), "");
  EXPECT_EQ(pieces("plain text"), "'plain text'");
  EXPECT_EQ(pieces("{run}"), "RUN");
  EXPECT_EQ(pieces("see {run}/a and {scratchpad}/b"),
            "'see ' RUN '/a and ' SCRATCHPAD '/b'");
  EXPECT_EQ(pieces("{scratchpad}{run}"), "SCRATCHPAD RUN");
}

TEST(SplitPrompt, DoubledBracesAreOneBrace) {
  EXPECT_EQ(pieces("a{{b}}c"), "'a{b}c'");
  EXPECT_EQ(pieces("{{run}}"), "'{run}'");
  EXPECT_EQ(pieces("{{{run}"), "'{' RUN");
  EXPECT_EQ(pieces("{{"), "'{'");
}

TEST(SplitPrompt, OtherBracesAreLiteral) {
  EXPECT_EQ(pieces("{x} {run"), "'{x} {run'");
  EXPECT_EQ(pieces("}"), "'}'");
  EXPECT_EQ(pieces("{ {run}"), "'{ ' RUN");
  EXPECT_EQ(pieces("{scratch}{run}}"), "'{scratch}' RUN '}'");
}
