//===- Lint.cpp - `connectorc lint` ---------------------------------------===//
//
// lint runs everything build runs, emitting nothing: the checker and then the
// pass pipeline, so whatever build would reject (an over-budget plan, an
// unroutable "auto", a path leaving the project) lint reports first.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "llvm/Support/BuryPointer.h"

using namespace connectorc;
namespace cl = llvm::cl;


namespace {
cl::list<std::string> Files(cl::Positional, cl::OneOrMore,
                            cl::desc("<file.connector.json>..."),
                            cl::sub(driver::lintCommand()),
                            cl::cat(driver::Category));
} // namespace

int driver::runLint() {
  auto D = std::make_unique<Driver>();
  bool RegistryOk = D->loadRegistry();
  PassOptions Opts;
  Opts.Origins = false; // nothing prints the plan
  Opts.LintOnly = true;
  for (const std::string &F : Files)
    D->compile(F, Opts);
  D->printDiagnostics();
  int Status = D->FE.hadUnreadableFile() || !RegistryOk ? ExitUsage
                                                         : D->exitStatus();
  // The process exits now: what was parsed and compiled is left to it, as
  // clang does (-disable-free), rather than freed object by object.
  llvm::BuryPointer(std::move(D));
  return Status;
}
