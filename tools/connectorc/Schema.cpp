//===- Schema.cpp - `connectorc schema` -----------------------------------===//
#include "Commands.h"

#include "frontend/Schema.h"

#include "llvm/Support/raw_ostream.h"

using namespace connectorc;
namespace cl = llvm::cl;

cl::SubCommand driver::SchemaCommand(
    "schema", "Print the connector.json JSON Schema (draft-07) for editors "
              "and validators");

int driver::runSchema() {
  llvm::outs() << connectorSchemaText();
  return ExitOk;
}
