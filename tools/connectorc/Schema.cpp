//===- Schema.cpp - `connectorc schema` -----------------------------------===//
#include "Commands.h"

#include "frontend/Schema.h"
#include "ir/PlanJson.h"

#include "llvm/Support/raw_ostream.h"

using namespace connectorc;
namespace cl = llvm::cl;


namespace {
cl::opt<bool> PlanSchema("plan",
                         cl::desc("Print the plan file's JSON Schema instead"),
                         cl::sub(driver::schemaCommand()),
                         cl::cat(driver::Category));
} // namespace

int driver::runSchema() {
  llvm::outs() << (PlanSchema ? planSchemaText() : connectorSchemaText());
  return ExitOk;
}
