//===- Verify.cpp - the verify pass ---------------------------------------===//
//
// The plan's invariants, checked before any backend or the runtime sees it:
// task ids are unique, every reference is in range, every task has a
// candidate, and the tasks with their stage dependencies form a DAG. The
// checker and the passes guarantee all of this for any input, so a failure
// here is a bug in connectorc, and says so.
//
//===----------------------------------------------------------------------===//
#include "passes/PassManager.h"


using namespace connectorc;

bool connectorc::runVerify(Compilation &C) {
  std::string Problem = ir::verifyPlan(C.Plan);
  if (Problem.empty())
    return true;
  C.Diags.reportFile(DiagKind::VerifyFailed, C.Plan.Source, "the pipeline",
                     Problem);
  return false;
}
