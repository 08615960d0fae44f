//===- Commands.h - the driver's subcommands ---------------------*- C++ -*-===//
#ifndef CONNECTORC_TOOLS_COMMANDS_H
#define CONNECTORC_TOOLS_COMMANDS_H

#include "llvm/Support/CommandLine.h"

namespace connectorc::driver {

/// Exit statuses shared by every subcommand.
enum ExitStatus {
  ExitOk = 0,
  ExitFailure = 1,
  ExitUsage = 2,
  ExitInterrupted = 130
};

extern llvm::cl::OptionCategory Category;
// Subcommands are made on first use, so that options in any file can name
// them whatever the order of static initialisation across files.
llvm::cl::SubCommand &lintCommand();
llvm::cl::SubCommand &buildCommand();
llvm::cl::SubCommand &explainCommand();
llvm::cl::SubCommand &schemaCommand();
llvm::cl::SubCommand &simAgentCommand();
llvm::cl::SubCommand &runCommand();
llvm::cl::SubCommand &logsCommand();
llvm::cl::SubCommand &statusCommand();

int runLint();
int runBuild();
int runExplain();
int runSchema();
int runSimAgent();
int runRun();
int runLogs();
int runStatus();

} // namespace connectorc::driver

#endif
