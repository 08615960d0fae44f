//===- VerifyTest.cpp - the verify pass on plans no spec can produce ------===//
//
// verify guards against compiler bugs, so no input reaches its diagnostic;
// these tests break plans by hand and check that it says so, naming the
// broken invariant.
//
//===----------------------------------------------------------------------===//
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
