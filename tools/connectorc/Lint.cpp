//===- Lint.cpp - `connectorc lint` ---------------------------------------===//
//
// lint runs everything build runs, emitting nothing: the checker and then the
// pass pipeline, so whatever build would reject (an over-budget plan, an
// unroutable "auto", a path leaving the project) lint reports first.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

using namespace connectorc;
namespace cl = llvm::cl;


namespace {
cl::list<std::string> Files(cl::Positional, cl::OneOrMore,
                            cl::desc("<file.connector.json>..."),
                            cl::sub(driver::lintCommand()),
                            cl::cat(driver::Category));
} // namespace

int driver::runLint() {
  Driver D;
  bool RegistryOk = D.loadRegistry();
  PassOptions Opts;
  Opts.Origins = false; // nothing prints the plan
  Opts.LintOnly = true;
  for (const std::string &F : Files)
    D.compile(F, Opts);
  D.printDiagnostics();
  if (D.FE.hadUnreadableFile() || !RegistryOk)
    return ExitUsage;
  return D.exitStatus();
}
