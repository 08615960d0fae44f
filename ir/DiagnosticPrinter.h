//===- DiagnosticPrinter.h - render diagnostics for people and machines -===//
#ifndef CONNECTORC_IR_DIAGNOSTICPRINTER_H
#define CONNECTORC_IR_DIAGNOSTICPRINTER_H

#include "ir/Diagnostics.h"

#include "llvm/Support/raw_ostream.h"

namespace connectorc {

/// The output formats of `connectorc lint --format=`.
enum class DiagFormat { Human, Json, Sarif, Github };

/// Options shared by every printer.
struct DiagPrintOptions {
  DiagFormat Format = DiagFormat::Human;
  /// Human format only: colour the output.
  bool Color = false;
  /// Print warnings as errors (`--werror`).
  bool WarningsAsErrors = false;
  /// The tool's version, for SARIF's tool.driver.version.
  llvm::StringRef ToolVersion = "0.0.0";
};

/// Prints every diagnostic of \p Diags to \p OS in the chosen format. SARIF
/// output is one complete log; the other formats print one entry per line
/// (human: one entry per diagnostic with its source line and caret).
void printDiagnostics(llvm::raw_ostream &OS, const DiagnosticEngine &Diags,
                      const DiagPrintOptions &Opts);

/// The level a diagnostic is shown with under \p Opts.
DiagLevel effectiveLevel(const Diagnostic &D, const DiagPrintOptions &Opts);

} // namespace connectorc

#endif
