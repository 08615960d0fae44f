//===- PlanJson.h - plans to and from JSON ------------------------*- C++ -*-===//
//
// The plan file (`"plan": "1"`, docs/plan-format.md, its JSON Schema printed
// by `connectorc schema --plan`) is what `connectorc build` writes and
// `connectorc run` reads. Writing is deterministic, and reading a plan back
// and writing it again gives the same bytes.
//
// Secrets: environment values whose names look like credentials (…KEY,
// …TOKEN, …SECRET, …PASSWORD) are never written; the plan holds "${NAME}",
// which the runtime takes from its environment.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_PLANJSON_H
#define CONNECTORC_IR_PLANJSON_H

#include "ir/Plan.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace connectorc::ir {

void writePlanJson(llvm::raw_ostream &OS, const Plan &P);

/// Reads a plan; \p Name names the text in error messages. The plan is
/// checked for the invariants the verify pass guarantees.
llvm::Expected<Plan> readPlanJson(llvm::StringRef Text, llvm::StringRef Name);

/// True when an environment variable of this name holds a credential.
bool isSecretName(llvm::StringRef Name);

} // namespace connectorc::ir

namespace connectorc {
/// The plan format's JSON Schema (embedded).
llvm::StringRef planSchemaText();
} // namespace connectorc

#endif
