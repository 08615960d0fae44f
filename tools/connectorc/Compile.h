//===- Compile.h - spec to plan, shared by the subcommands -------*- C++ -*-===//
#ifndef CONNECTORC_TOOLS_COMPILE_H
#define CONNECTORC_TOOLS_COMPILE_H

#include "frontend/Frontend.h"
#include "ir/Plan.h"
#include "passes/PassManager.h"
#include "runtime/server/Operations.h"

#include "llvm/Support/CommandLine.h"

#include <memory>
#include <optional>

namespace connectorc::driver {

/// Options of every subcommand that compiles (lint, build, explain).
extern llvm::cl::opt<std::string> ProvidersFile;
extern llvm::cl::opt<bool> Simulate;
/// --simulate-fail PROVIDER=KIND (build and run).
extern llvm::cl::list<std::string> SimulateFail;
/// Reads --simulate-fail into \p Out; the usage message when one is bad.
std::optional<std::string>
parseSimulateFails(std::map<std::string, std::string> &Out);

/// Whether human output to \p OS is coloured: --color (lint, build, explain,
/// doctor), else on a terminal unless NO_COLOR is set.
bool useColor(llvm::raw_ostream &OS);

/// This binary's absolute path ("connectorc" when /proc is missing).
std::string selfExe();

/// One compilation: the diagnostics, the registry, and what was made.
class Driver {
public:
  Driver() : Diags(SM), FE(Diags) {}

  /// Loads the provider registry (--providers, or the user's file). False
  /// when a user registry file is broken (reported).
  bool loadRegistry();

  /// Checks, lowers and runs the pipeline on one spec. Returns the plan, or
  /// std::nullopt when the spec has errors (reported). \p Module receives the
  /// lowered module when lowering happened. With PassOptions::LintOnly the
  /// plan returned is empty and the compilation goes to Kept.
  std::optional<ir::Plan> compile(llvm::StringRef File, PassOptions Opts,
                                  std::shared_ptr<ir::Module> *Module = nullptr);

  /// compile(), of \p Text as the file \p Name (relative team files are
  /// found beside it): a spec that is not on disk.
  std::optional<ir::Plan> compileText(llvm::StringRef Name,
                                      llvm::StringRef Text, PassOptions Opts);

  /// True when \p File looks like a plan file (a JSON object whose first key
  /// is "plan"), not a spec.
  static bool isPlanFile(llvm::StringRef Text);

  /// Prints every diagnostic in the format --format asks for.
  void printDiagnostics();
  /// ExitFailure when an error (or, with --werror, a warning) was reported.
  int exitStatus() const;

  llvm::SourceMgr SM;
  DiagnosticEngine Diags;
  Frontend FE;
  std::optional<ProviderRegistry> Registry;
  /// lint's compilations, never destroyed: runLint buries the driver
  /// (llvm::BuryPointer) instead of freeing what it compiled. On the 12 MB
  /// benchmark spec the destructors took 5% of lint's time.
  std::vector<std::unique_ptr<Compilation>> Kept;

private:
  /// Lowers \p W and runs the pipeline, unless it is missing or errors
  /// were reported since there were \p Before.
  std::optional<ir::Plan> compileChecked(std::shared_ptr<spec::Workflow> W,
                                         unsigned Before, PassOptions Opts,
                                         std::shared_ptr<ir::Module> *Module);
};

/// Every diagnostic of \p Diags as `lint --format=json` prints it, one
/// object each.
llvm::json::Array diagnosticsJson(const DiagnosticEngine &Diags);

/// The runtime's operations' compiler (server::SpecCompiler), for `serve`
/// and `mcp`: \p Text checked as the file \p Name, with the user's
/// registry; in Build and Explain mode the plan, and in Explain mode
/// explain's summary of it.
server::CompiledSpec compileSpecText(llvm::StringRef Text,
                                     llvm::StringRef Name, bool Simulate,
                                     server::CompileMode Mode);

/// What `explain` prints of \p P: its stages and tasks, with their models,
/// fallbacks and machines, and the estimated cost against the budget.
void printExplanation(llvm::raw_ostream &OS, const ir::Plan &P);

} // namespace connectorc::driver

#endif
