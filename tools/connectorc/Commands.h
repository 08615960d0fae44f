//===- Commands.h - the driver's subcommands ---------------------*- C++ -*-===//
#ifndef CONNECTORC_TOOLS_COMMANDS_H
#define CONNECTORC_TOOLS_COMMANDS_H

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace connectorc::driver {

/// Exit statuses shared by every subcommand.
enum ExitStatus {
  ExitOk = 0,
  ExitFailure = 1,
  ExitUsage = 2,
  /// `mail read --wait`: no message came in time.
  ExitNoMail = 3,
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
llvm::cl::SubCommand &remoteSessionCommand();
llvm::cl::SubCommand &sandboxNetCommand();
llvm::cl::SubCommand &egressProxyCommand();
llvm::cl::SubCommand &logsCommand();
llvm::cl::SubCommand &statusCommand();
llvm::cl::SubCommand &doctorCommand();
llvm::cl::SubCommand &mailCommand();
llvm::cl::SubCommand &mailSendCommand();
llvm::cl::SubCommand &mailReadCommand();
llvm::cl::SubCommand &mailListCommand();
llvm::cl::SubCommand &psCommand();
llvm::cl::SubCommand &stopCommand();
llvm::cl::SubCommand &doneCommand();
llvm::cl::SubCommand &sendCommand();
llvm::cl::SubCommand &attachCommand();
llvm::cl::SubCommand &daemonCommand();
llvm::cl::SubCommand &serveCommand();
llvm::cl::SubCommand &mcpCommand();

int runLint();
int runBuild();
int runExplain();
int runSchema();
int runSimAgent();
int runRun();
int runRemoteSession();
int runSandboxNet();
int runEgressProxy();
int runLogs();
int runStatus();
int runDoctor();
int runMail();
int runMailSend();
int runMailRead();
int runMailList();
int runPs();
int runStop();
int runDone();
int runSend();
int runAttach();
int runDaemon();
int runServe();
int runMcp();

/// The command line as it was given (argv[1] on), for `run --detach`.
std::vector<std::string> &givenArguments();

/// \p Argv with "mail send" (read, list) as one word, the name of its
/// subcommand: llvm::cl has no nested subcommands.
std::vector<const char *> joinNestedCommand(int Argc, char **Argv);

/// Prints "<Tool>: error: <Message>" and returns ExitUsage.
int usage(llvm::StringRef Tool, const llvm::Twine &Message);

/// Prints "<Tool>: error: <E>" and returns ExitFailure.
int failure(llvm::StringRef Tool, llvm::Error E);

} // namespace connectorc::driver

#endif
