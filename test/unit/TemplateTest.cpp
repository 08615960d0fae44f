//===- TemplateTest.cpp - template pieces, escapes and problems -----------===//
#include "ir/Template.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {
struct Parse {
  explicit Parse(llvm::StringRef Text) : Pieces(parseTemplate(Text, Problems)) {
    llvm::SmallVector<TemplateProblem, 2> Checked;
    checkTemplate(Text, Checked);
    // The fast path finds exactly what the full parse finds.
    EXPECT_EQ(Checked.size(), Problems.size()) << Text.str();
    for (size_t I = 0; I < std::min(Checked.size(), Problems.size()); ++I) {
      EXPECT_EQ(Checked[I].Kind, Problems[I].Kind) << Text.str();
      EXPECT_EQ(Checked[I].Offset, Problems[I].Offset) << Text.str();
    }
  }
  llvm::SmallVector<TemplateProblem, 2> Problems;
  llvm::SmallVector<TemplatePiece, 4> Pieces;
};

void expectPiece(const TemplatePiece &P, bool IsVariable, llvm::StringRef Text,
                 size_t Offset) {
  EXPECT_EQ(P.IsVariable, IsVariable) << P.Text;
  EXPECT_EQ(P.Text, Text.str());
  EXPECT_EQ(P.Offset, Offset) << P.Text;
}
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
  ASSERT_EQ(P.Pieces.size(), 1u);
  expectPiece(P.Pieces[0], false, "no variables here", 0);
  EXPECT_TRUE(Parse("").Pieces.empty());
}

TEST(Template, Pieces) {
  Parse P("Hi {worker} of {phase}!");
  EXPECT_TRUE(P.Problems.empty());
  ASSERT_EQ(P.Pieces.size(), 5u);
  expectPiece(P.Pieces[0], false, "Hi ", 0);
  expectPiece(P.Pieces[1], true, "worker", 3);
  expectPiece(P.Pieces[2], false, " of ", 11);
  expectPiece(P.Pieces[3], true, "phase", 15);
  expectPiece(P.Pieces[4], false, "!", 22);

  Parse Adjacent("{run}{scratchpad}");
  ASSERT_EQ(Adjacent.Pieces.size(), 2u);
  expectPiece(Adjacent.Pieces[0], true, "run", 0);
  expectPiece(Adjacent.Pieces[1], true, "scratchpad", 5);
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
  ASSERT_EQ(P.Pieces.size(), 1u);
  expectPiece(P.Pieces[0], false, "{worker} and }{", 0);

  Parse Mixed("a {{b}} {name}");
  EXPECT_TRUE(Mixed.Problems.empty());
  ASSERT_EQ(Mixed.Pieces.size(), 2u);
  expectPiece(Mixed.Pieces[0], false, "a {b} ", 0);
  expectPiece(Mixed.Pieces[1], true, "name", 8);
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
  // Still a variable piece, so the rest of the template is understood.
  ASSERT_EQ(P.Pieces.size(), 4u);
  expectPiece(P.Pieces[1], true, "wrker", 2);
}

TEST(Template, Unterminated) {
  Parse AtEnd("see {worker");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(AtEnd, TemplateProblem::Unterminated, 4));
  EXPECT_EQ(AtEnd.Problems[0].Length, 1u);

  // A '{' before the next '{' is unterminated; the next one still works.
  Parse Nested("a {b {worker}");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(Nested, TemplateProblem::Unterminated, 2));
  ASSERT_FALSE(Nested.Pieces.empty());
  expectPiece(Nested.Pieces.back(), true, "worker", 5);

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
