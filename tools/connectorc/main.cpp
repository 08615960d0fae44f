//===- main.cpp - the connectorc driver -----------------------------------===//
//
// connectorc compiles connector.json workflows. This file only parses the
// command line and dispatches to a subcommand.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#ifdef CONNECTORC_MIMALLOC
#include <mimalloc.h>
#endif

using namespace connectorc::driver;
namespace cl = llvm::cl;

#ifdef CONNECTORC_MIMALLOC
/// 2 MiB pages where the kernel has them (transparent huge pages): a large
/// spec's document, module and plan then cost a tenth of the page faults
/// (docs/benchmarks.md). mimalloc maps its first segment at the first
/// allocation, before main() (static constructors allocate), and an option
/// set after that does not reach it: enabled from main(), lint of the
/// benchmark spec still took 7,400 faults; from here, 700. .preinit_array
/// functions run before any library's initialisers.
static void useLargeOsPages(int, char **, char **) {
  mi_option_enable(mi_option_large_os_pages);
}
[[gnu::section(".preinit_array"), gnu::used]] static void (
    *const UseLargeOsPages)(int, char **, char **) = useLargeOsPages;
#endif

cl::OptionCategory connectorc::driver::Category("connectorc options");

cl::SubCommand &connectorc::driver::lintCommand() {
  static cl::SubCommand S("lint", "Check connector.json files and explain every problem found");
  return S;
}

cl::SubCommand &connectorc::driver::buildCommand() {
  static cl::SubCommand S("build", "Compile a connector.json workflow into a plan or another format");
  return S;
}

cl::SubCommand &connectorc::driver::explainCommand() {
  static cl::SubCommand S("explain", "Summarise what a workflow will run, on which models, where, "
               "at what estimated cost and when");
  return S;
}

cl::SubCommand &connectorc::driver::schemaCommand() {
  static cl::SubCommand S("schema", "Print the connector.json JSON Schema (draft-07) for editors "
              "and validators, or with --plan the plan file's");
  return S;
}

cl::SubCommand &connectorc::driver::simAgentCommand() {
  static cl::SubCommand S(
      "sim-agent",
      "The offline, deterministic agent that --simulate runs in place of "
      "every AI CLI (prompt on standard input; environment: "
      "CONNECTOR_SIM_AS, CONNECTOR_SIM_FAIL, CONNECTOR_TASK, "
      "CONNECTOR_INPUTS; see docs/sim.md)");
  return S;
}

cl::SubCommand &connectorc::driver::remoteSessionCommand() {
  static cl::SubCommand S(
      "remote-session",
      "What the runtime runs for a task on another machine: sends its "
      "inputs, runs the agent there in a terminal (ssh -tt), fetches the "
      "scratchpad's new files (see docs/run.md, Remote tasks)");
  return S;
}

cl::SubCommand &connectorc::driver::sandboxNetCommand() {
  static cl::SubCommand S(
      "sandbox-net",
      "What the runtime runs inside a sandbox around the agent: relays its "
      "proxy connections and --forward ports to the egress proxy's socket "
      "(see docs/sandbox-network.md)");
  return S;
}

cl::SubCommand &connectorc::driver::egressProxyCommand() {
  static cl::SubCommand S(
      "egress-proxy",
      "The sandbox's allowlisting proxy on its own, for testing a sandbox by "
      "hand: prints each refused destination (see docs/sandbox-network.md)");
  return S;
}

cl::SubCommand &connectorc::driver::runCommand() {
  static cl::SubCommand S("run", "Run a workflow: every agent in its own "
                                 "terminal, with failover, resume and live "
                                 "progress");
  return S;
}

cl::SubCommand &connectorc::driver::logsCommand() {
  static cl::SubCommand S("logs", "Print a task's transcript from a run "
                                  "directory");
  return S;
}

cl::SubCommand &connectorc::driver::statusCommand() {
  static cl::SubCommand S("status", "Summarise a run in progress or finished");
  return S;
}

cl::SubCommand &connectorc::driver::doctorCommand() {
  static cl::SubCommand S("doctor", "Check that the agent CLIs a workflow "
                                    "(or the registry) uses are installed, "
                                    "logged in and able to run here");
  return S;
}

int connectorc::driver::usage(llvm::StringRef Tool,
                              const llvm::Twine &Message) {
  llvm::WithColor::error(llvm::errs(), Tool) << Message << '\n';
  return ExitUsage;
}

int connectorc::driver::failure(llvm::StringRef Tool, llvm::Error E) {
  llvm::WithColor::error(llvm::errs(), Tool)
      << llvm::toString(std::move(E)) << '\n';
  return ExitFailure;
}

std::vector<std::string> &connectorc::driver::givenArguments() {
  static std::vector<std::string> Args;
  return Args;
}

static void printVersion(llvm::raw_ostream &OS) {
  OS << "connectorc " << CONNECTORC_VERSION << "\n";
}

int main(int Argc, char **Argv) {
  llvm::InitLLVM X(Argc, Argv);
  cl::SetVersionPrinter(printVersion);
  cl::HideUnrelatedOptions(Category);
  for (int I = 1; I < Argc; ++I)
    givenArguments().push_back(Argv[I]);
  std::vector<const char *> Args = joinNestedCommand(Argc, Argv);
  if (!cl::ParseCommandLineOptions(
          static_cast<int>(Args.size()), Args.data(),
          "connectorc — compile connector.json workflows into executable "
          "plans\n\n"
          "  connectorc lint FILE...   check files and explain every problem\n"
          "  connectorc build FILE     compile a workflow into a plan (or "
          "--emit=KIND)\n"
          "  connectorc explain FILE   summarise stages, models, machines, "
          "cost, schedule\n"
          "  connectorc schema         print the connector.json JSON Schema\n"
          "  connectorc run FILE       run a workflow (or a plan), each agent "
          "in a terminal\n"
          "  connectorc logs DIR TASK  print a task's transcript from a run "
          "directory\n"
          "  connectorc status DIR     summarise a run in progress or "
          "finished\n"
          "  connectorc doctor [FILE]  check the agent CLIs, their logins, "
          "the sandbox\n"
          "  connectorc mail send|read|list  message the run's other agents\n"
          "  connectorc ps [RUN]       list the runs going on, or a run's "
          "tasks\n"
          "  connectorc attach RUN[/TASK]  watch a task's terminal, type "
          "into it\n"
          "  connectorc send RUN/TASK TEXT  type text into a task's "
          "terminal\n"
          "  connectorc stop RUN[/TASK]  end a run or a task, as Ctrl-C "
          "does\n"
          "  connectorc daemon         the session daemon that holds "
          "detached runs\n"
          "  connectorc serve          the runs over HTTP and WebSocket, "
          "with a token\n"
          "  connectorc mcp            an MCP server on stdio: an AI agent "
          "host runs the team\n\n"
          "Run 'connectorc SUBCOMMAND --help' for a subcommand's options.\n",
          &llvm::errs()))
    return ExitUsage;
  if (lintCommand())
    return runLint();
  if (buildCommand())
    return runBuild();
  if (explainCommand())
    return runExplain();
  if (schemaCommand())
    return runSchema();
  if (simAgentCommand())
    return runSimAgent();
  if (runCommand())
    return runRun();
  if (remoteSessionCommand())
    return runRemoteSession();
  if (sandboxNetCommand())
    return runSandboxNet();
  if (egressProxyCommand())
    return runEgressProxy();
  if (logsCommand())
    return runLogs();
  if (statusCommand())
    return runStatus();
  if (doctorCommand())
    return runDoctor();
  if (mailSendCommand())
    return runMailSend();
  if (mailReadCommand())
    return runMailRead();
  if (mailListCommand())
    return runMailList();
  if (mailCommand())
    return runMail();
  if (psCommand())
    return runPs();
  if (stopCommand())
    return runStop();
  if (doneCommand())
    return runDone();
  if (sendCommand())
    return runSend();
  if (attachCommand())
    return runAttach();
  if (daemonCommand())
    return runDaemon();
  if (serveCommand())
    return runServe();
  if (mcpCommand())
    return runMcp();
  cl::PrintHelpMessage(false, true);
  return ExitUsage;
}
