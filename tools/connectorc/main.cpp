//===- main.cpp - the connectorc driver -----------------------------------===//
//
// connectorc compiles connector.json workflows. This file only parses the
// command line and dispatches to a subcommand.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace connectorc::driver;
namespace cl = llvm::cl;

cl::OptionCategory connectorc::driver::Category("connectorc options");

static void printVersion(llvm::raw_ostream &OS) {
  OS << "connectorc " << CONNECTORC_VERSION << "\n";
}

int main(int Argc, char **Argv) {
  llvm::InitLLVM X(Argc, Argv);
  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions(Category);
  if (!cl::ParseCommandLineOptions(
          Argc, Argv,
          "connectorc — compile connector.json workflows into executable plans\n\n"
          "  connectorc lint FILE...   check files and explain every problem\n"
          "  connectorc schema         print the connector.json JSON Schema\n\n"
          "Run 'connectorc SUBCOMMAND --help' for a subcommand's options.\n",
          &llvm::errs()))
    return ExitUsage;
  if (LintCommand)
    return runLint();
  if (SchemaCommand)
    return runSchema();
  cl::PrintHelpMessage(false, true);
  return ExitUsage;
}
