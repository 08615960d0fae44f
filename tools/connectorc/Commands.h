//===- Commands.h - the driver's subcommands ---------------------*- C++ -*-===//
#ifndef CONNECTORC_TOOLS_COMMANDS_H
#define CONNECTORC_TOOLS_COMMANDS_H

#include "llvm/Support/CommandLine.h"

namespace connectorc::driver {

/// Exit statuses shared by every subcommand.
enum ExitStatus { ExitOk = 0, ExitFailure = 1, ExitUsage = 2 };

extern llvm::cl::OptionCategory Category;
extern llvm::cl::SubCommand LintCommand;
extern llvm::cl::SubCommand SchemaCommand;

int runLint();
int runSchema();

} // namespace connectorc::driver

#endif
