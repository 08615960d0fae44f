//===- Plan.cpp - the native plan backend ---------------------------------===//
//
// The plan file `connectorc run` executes: ir::Plan as JSON, in the format of
// docs/plan-format.md (the writer lives with the IR, which also reads it).
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"

#include "ir/PlanJson.h"

using namespace connectorc;

llvm::Error connectorc::emitPlan(llvm::raw_ostream &OS, const ir::Plan &P,
                                 const EmitOptions &) {
  ir::writePlanJson(OS, P);
  return llvm::Error::success();
}
