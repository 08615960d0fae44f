//===- Lower.h - a checked workflow to ir::Module -----------------*- C++ -*-===//
#ifndef CONNECTORC_FRONTEND_LOWER_H
#define CONNECTORC_FRONTEND_LOWER_H

#include "frontend/Spec.h"
#include "ir/Diagnostics.h"
#include "ir/Module.h"

#include <memory>

namespace connectorc {

/// Lowers \p W, which the checker has accepted without errors, into the IR.
/// Values the checker resolved (models, depends_on, teams) are taken from \p W;
/// the rest is read from the JSON, with defaults applied. Reading a prompt_file
/// can still fail; that is reported to \p Diags.
std::shared_ptr<ir::Module> lowerWorkflow(const spec::Workflow &W,
                                          DiagnosticEngine &Diags);

/// The directory paths in the spec must stay inside: the root of the git
/// repository holding \p Dir, or \p Dir itself outside of git. Absolute.
std::string findProjectRoot(llvm::StringRef Dir);

} // namespace connectorc

#endif
