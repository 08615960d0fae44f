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
      EXPECT_EQ(Checked[I].Name, Problems[I].Name) << Text.str();
      EXPECT_EQ(Checked[I].Offset, Problems[I].Offset) << Text.str();
    }
    // Expanding is again a template that means the same: substituting it
    // gives the final text, and expanding it again changes nothing.
    EXPECT_EQ(substituteTemplate(Expanded, testVars), Substituted)
        << Text.str();
    llvm::SmallVector<TemplateProblem, 2> Again;
    EXPECT_EQ(expandTemplate(Expanded, testVars, Again), Expanded)
        << Text.str();
  }
  llvm::SmallVector<TemplateProblem, 2> Problems;
  std::string Expanded, Substituted;
};
} // namespace

/// Checks that \p P found exactly one problem: the unknown \p Name at
/// \p Offset.
static void expectOneProblem(const Parse &P, llvm::StringRef Name,
                             size_t Offset) {
  ASSERT_EQ(P.Problems.size(), 1u);
  EXPECT_EQ(P.Problems[0].Name, Name.str());
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

/// A template with no problem and the final text it gives.
struct LiteralCase {
  const char *Text;
  const char *Substituted;
};

TEST(Template, OtherBracesAreText) {
  // Only `{identifier}` is a reference; `{{` is always `{` and `}}` always
  // `}`, read left to right; every other brace is text, never an error.
  const LiteralCase Cases[] = {
      {"Answer as {\"verdict\": \"ship\"}",
       "Answer as {\"verdict\": \"ship\"}"},
      {"function f() { return 1; }", "function f() { return 1; }"},
      {"{\"a\": {\"b\": [1, {\"c\": 2} ] } }",
       "{\"a\": {\"b\": [1, {\"c\": 2} ] } }"},
      // Two closing braces in a row are an escaped one, as they always were.
      {"{\"a\": {\"b\": 1}}", "{\"a\": {\"b\": 1}"},
      {"{\"a\": {\"b\": 1}}}}", "{\"a\": {\"b\": 1}}"},
      {"if (x) { y(); } else { z(); }", "if (x) { y(); } else { z(); }"},
      {"a lone } and a lone {", "a lone } and a lone {"},
      {"unterminated {abc", "unterminated {abc"},
      {"{", "{"},
      {"}", "}"},
      {"{}", "{}"},
      {"{1abc}", "{1abc}"},
      {"{ worker }", "{ worker }"},
      {"{worker }{ worker}", "{worker }{ worker}"},
      {"{a-b} {a.b} {é}", "{a-b} {a.b} {é}"},
      {"{{worker}}", "{worker}"},
      {"{{{worker}}}", "{3}"},
      {"}}}", "}}"},
      {"{{{", "{{"},
      {"{{ {worker} }}", "{ 3 }"},
      {"{{\"k\": 1}} and {{phase}} for {phase}",
       "{\"k\": 1} and {phase} for re{view}"},
      {"x{worker}y{", "x3y{"},
      {"{ {worker}", "{ 3"},
      {"{worker}}", "3}"},
      {"{{worker}", "{worker}"},
      {"{a {worker}", "{a 3"},
  };
  for (const LiteralCase &C : Cases) {
    Parse P(C.Text);
    EXPECT_TRUE(P.Problems.empty()) << C.Text;
    EXPECT_EQ(P.Substituted, C.Substituted) << C.Text;
  }
}

TEST(Template, LiteralBracesAreEscapedWhenExpanded) {
  // The expansion writes every literal brace doubled, so a later round (the
  // runtime's) reads it as text whatever follows it.
  EXPECT_EQ(Parse("{\"a\"}").Expanded, "{{\"a\"}}");
  EXPECT_EQ(Parse("{ {run}").Expanded, "{{ {run}");
  EXPECT_EQ(Parse("{{run}}").Expanded, "{{run}}");
  EXPECT_EQ(Parse("{{{run}}}").Expanded, "{{{run}}}");
  EXPECT_EQ(Parse("f() { return {worker}; }").Expanded, "f() {{ return 3; }}");
}

TEST(Template, SubstitutedValuesAreText) {
  // A value holding braces or a `{var}` is text: never substituted again,
  // nor an error, nor a brace that pairs with the template's.
  auto Vars = [](llvm::StringRef Name) -> std::optional<llvm::StringRef> {
    if (Name == "worker")
      return llvm::StringRef("{run}");
    if (Name == "phase")
      return llvm::StringRef("{\"a\": {bogus}}");
    return std::nullopt;
  };
  llvm::SmallVector<TemplateProblem, 2> Problems;
  std::string Expanded =
      expandTemplate("{worker} {phase} {run}", Vars, Problems);
  EXPECT_TRUE(Problems.empty());
  EXPECT_EQ(Expanded, "{{run}} {{\"a\": {{bogus}}}} {run}");
  EXPECT_EQ(expandedSize("{worker} {phase} {run}", Vars, Problems),
            Expanded.size());
  // The runtime's round: only the template's own {run} is a variable.
  auto RunOnly = [](llvm::StringRef Name) -> std::optional<llvm::StringRef> {
    if (Name == "run")
      return llvm::StringRef("/r");
    return std::nullopt;
  };
  EXPECT_EQ(substituteTemplate(Expanded, RunOnly), "{run} {\"a\": {bogus}} /r");
  EXPECT_TRUE(Problems.empty());
}

TEST(Template, UnknownVariable) {
  Parse P("x {wrker} y {_Z9}");
  ASSERT_EQ(P.Problems.size(), 2u);
  EXPECT_EQ(P.Problems[0].Name, "wrker");
  EXPECT_EQ(P.Problems[0].Offset, 2u);
  EXPECT_EQ(P.Problems[0].Length, 7u);
  EXPECT_EQ(P.Problems[1].Name, "_Z9");
  EXPECT_EQ(P.Problems[1].Offset, 12u);
  EXPECT_EQ(P.Problems[1].Length, 5u);
  // Kept as written, and the rest of the template is understood.
  EXPECT_EQ(Parse("x {wrker} {worker}").Expanded, "x {wrker} 3");
}

TEST(Template, UnknownVariableAmongLiteralBraces) {
  // Literal braces before a reference do not move its offset or hide it.
  Parse Code("f() { return {wroker}; }");
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(Code, "wroker", 13));
  EXPECT_EQ(Code.Problems[0].Length, 8u);

  // `{a}` is an identifier in braces, so a reference, even in code; written
  // `{{a}}` it is text.
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(Parse("map<int, {a}>"), "a", 9));
  EXPECT_TRUE(Parse("map<int, {{a}}>").Problems.empty());

  // After `{{` the next brace starts afresh: `{{{x}` is `{` then `{x}`.
  ASSERT_NO_FATAL_FAILURE(expectOneProblem(Parse("{{{nope}"), "nope", 2));
  ASSERT_NO_FATAL_FAILURE(
      expectOneProblem(Parse("{\"k\": {nope}}"), "nope", 6));
}

TEST(Template, EveryProblemIsReported) {
  Parse P("} {nope} {worker { {x}{y}");
  ASSERT_EQ(P.Problems.size(), 3u);
  EXPECT_EQ(P.Problems[0].Name, "nope");
  EXPECT_EQ(P.Problems[0].Offset, 2u);
  EXPECT_EQ(P.Problems[1].Name, "x");
  EXPECT_EQ(P.Problems[1].Offset, 19u);
  EXPECT_EQ(P.Problems[2].Name, "y");
  EXPECT_EQ(P.Problems[2].Offset, 22u);
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
  EXPECT_EQ(pieces("{\"a\": {run}}"), "'{\"a\": ' RUN '}'");
}

TEST(SplitPrompt, ReadsWhatExpandingWrites) {
  // Build time then run time: a spec's code and JSON reach the agent as
  // written, {run} and {scratchpad} become pieces, a value's braces stay
  // text.
  auto Vars = [](llvm::StringRef Name) -> std::optional<llvm::StringRef> {
    if (Name == "worker")
      return llvm::StringRef("{scratchpad}");
    return std::nullopt;
  };
  llvm::SmallVector<TemplateProblem, 1> Problems;
  std::string Plan = expandTemplate(
      "Reply {\"v\": 1} in {run}/x; f() { {worker} } {{run}}", Vars, Problems);
  EXPECT_TRUE(Problems.empty());
  EXPECT_EQ(pieces(Plan),
            "'Reply {\"v\": 1} in ' RUN '/x; f() { {scratchpad} } {run}'");
}
