//===- Printer.h - the textual form of the IR ---------------------*- C++ -*-===//
//
// A deterministic, line-oriented rendering of a Module and of a Plan, for
// `connectorc build --emit=ir`, --print-after and FileCheck. One entity per
// line, `key=value` attributes in a fixed order, strings quoted with C
// escapes, source positions as `loc(line:col)`.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_PRINTER_H
#define CONNECTORC_IR_PRINTER_H

#include "ir/Diagnostics.h"
#include "ir/Module.h"
#include "ir/Plan.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace connectorc::ir {

/// Prints \p M (and its teams, nested); \p Diags renders positions when given.
void printModule(llvm::raw_ostream &OS, const Module &M,
                 const DiagnosticEngine *Diags, unsigned Indent = 0);
/// Prints \p P: bindings, stages, then tasks in plan order.
void printPlan(llvm::raw_ostream &OS, const Plan &P);

/// "file:line:col" of \p R's start, or "" when it has none.
std::string originOf(const llvm::SourceMgr &SM, llvm::SMRange R);

} // namespace connectorc::ir

#endif
