//===- VerifyTest.cpp - the verify pass on plans no spec can produce ------===//
//
// verify guards against compiler bugs, so no input reaches its diagnostic;
// these tests break plans by hand and check that it says so, naming the
// broken invariant.
//
//===----------------------------------------------------------------------===//
#include "ir/PatternSize.h"
#include "passes/PassManager.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {

ir::Plan twoTasks() {
  ir::Plan P;
  P.Workflow = "w";
  ir::ModelBinding B;
  B.Id = "sim/fast";
  B.Provider = "sim";
  B.Argv = {"{connectorc}"};
  P.Bindings.push_back(B);
  P.Stages.push_back({});
  P.Stages[0].Name = "s";
  for (unsigned I = 0; I < 2; ++I) {
    ir::Task T;
    T.Id = "s/" + std::to_string(I + 1);
    T.Candidates.push_back(0);
    T.Machines = {"local"};
    P.Tasks.push_back(T);
    P.Stages[0].Tasks.push_back(I);
  }
  return P;
}

/// Runs the verify pass on \p P; returns the diagnostic's message ("" if none).
std::string verify(ir::Plan P) {
  llvm::SourceMgr SM;
  DiagnosticEngine Diags(SM);
  std::optional<ProviderRegistry> R = ProviderRegistry::load("", Diags);
  EXPECT_TRUE(R.has_value());
  Compilation C(std::make_shared<ir::Module>(), *R, Diags);
  C.Plan = std::move(P);
  bool Ok = runVerify(C);
  EXPECT_EQ(Ok, Diags.diagnostics().empty());
  if (Diags.diagnostics().empty())
    return "";
  EXPECT_EQ(Diags.diagnostics().front().Kind, DiagKind::VerifyFailed);
  return Diags.diagnostics().front().Message;
}

TEST(Verify, AWellFormedPlanPasses) { EXPECT_EQ(verify(twoTasks()), ""); }

TEST(Verify, NamesTheBrokenInvariant) {
  ir::Plan Dup = twoTasks();
  Dup.Tasks[1].Id = "s/1";
  EXPECT_EQ(verify(Dup), "internal compiler error: the plan fails verification "
                         "after 'the pipeline': task id 's/1' is not unique; "
                         "please report this bug");
  ir::Plan NoModel = twoTasks();
  NoModel.Tasks[0].Candidates.clear();
  EXPECT_NE(verify(NoModel).find("task 's/1' has no model candidate"),
            std::string::npos);
  ir::Plan Cycle = twoTasks();
  Cycle.Tasks[0].Deps.push_back(1);
  Cycle.Tasks[1].Deps.push_back(0);
  EXPECT_NE(verify(Cycle).find("is on a dependency cycle"), std::string::npos);
  ir::Plan StageCycle = twoTasks();
  StageCycle.Stages.push_back({});
  StageCycle.Stages[1].Name = "t";
  StageCycle.Stages[0].DependsOn = {1};
  StageCycle.Stages[1].DependsOn = {0};
  EXPECT_NE(verify(StageCycle).find("cycle"), std::string::npos);
  ir::Plan Stray = twoTasks();
  Stray.Tasks[1].Stage = 7;
  EXPECT_NE(verify(Stray).find("task 's/2' is in stage 7 of 1"),
            std::string::npos);
}

} // namespace

// llvm::Regex copies what a count repeats, and nested counts multiply: a
// 38-byte pattern took over 2 GB before it failed (found by fuzzing the
// registry, docs/fuzzing.md). ir/PatternSize.h measures a pattern first.
TEST(PatternSize, CountsMultiplyThroughGroups) {
  EXPECT_EQ(patternCopies(""), 0u);
  EXPECT_EQ(patternCopies("abc"), 3u);
  EXPECT_EQ(patternCopies("a*b+c?|d"), 4u);
  EXPECT_EQ(patternCopies("a{3}"), 3u);
  EXPECT_EQ(patternCopies("a{2,}"), 3u);
  EXPECT_EQ(patternCopies("ab{1,10}"), 11u);
  EXPECT_EQ(patternCopies("(ab){1,10}"), 20u);
  EXPECT_EQ(patternCopies("((a{1,50}){1,50}){1,50}"), 125000u);
  // Escapes and bracket expressions are one atom each; a '{' that does not
  // start a count is a character.
  EXPECT_EQ(patternCopies("\\{[]{}[:digit:]]{1,4}x{y"), 8u);
  EXPECT_EQ(patternCopies("((((a{1,255}){1,255}){1,255}){1,255})"),
            4228250625u);
  EXPECT_EQ(patternCopies("(((((((((a{1,255}){1,255}){1,255}){1,255}){1,255})"
                          "{1,255}){1,255}){1,255}){1,255})"),
            UINT64_MAX);
  EXPECT_FALSE(patternTooLarge("You.{1,3}ve hit your (weekly |session )?limit"));
  EXPECT_FALSE(patternTooLarge("(a{1,255}){1,255}"));
  EXPECT_EQ(patternTooLarge("((a{1,50}){1,50}){1,50}"),
            "its counted repetitions ({m,n}) multiply to 125000 copies when "
            "compiled, more than 100000");
}

TEST(Verify, RefusesAPatternTooLargeToCompile) {
  ir::Plan P = twoTasks();
  P.Bindings[0].Failures.push_back({});
  P.Bindings[0].Failures[0].Kind = "auth";
  P.Bindings[0].Failures[0].Pattern = "((((a{1,255}){1,255}){1,255}){1,255})";
  EXPECT_NE(verify(P).find("binding 'sim/fast': pattern "
                           "'((((a{1,255}){1,255}){1,255}){1,255})' is too "
                           "large: its counted repetitions"),
            std::string::npos);
  ir::Plan Idle = twoTasks();
  Idle.Bindings[0].IdlePattern = "((a{1,100}){1,100}){1,100}";
  EXPECT_NE(verify(Idle).find("is too large"), std::string::npos);
}
