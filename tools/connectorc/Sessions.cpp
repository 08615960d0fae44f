//===- Sessions.cpp - `connectorc ps`, `stop`, `send`, `attach`, `done` ---===//
//
// The commands that reach running runs through their control sockets
// (runtime/daemon/Control.h): the runs of this user, in the foreground of another
// terminal or in the daemon.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "runtime/daemon/Control.h"
#include "runtime/support/JsonText.h"
#include "runtime/server/Operations.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>


using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;
namespace json = llvm::json;

cl::SubCommand &driver::psCommand() {
  static cl::SubCommand S("ps", "List the runs of this user that are going "
                                "on, or one run's tasks and their sessions");
  return S;
}
cl::SubCommand &driver::stopCommand() {
  static cl::SubCommand S("stop", "End a run, or one of its tasks, as Ctrl-C "
                                  "does");
  return S;
}
cl::SubCommand &driver::sendCommand() {
  static cl::SubCommand S("send", "Type text (pasted, then Enter) into a "
                                  "running task's terminal");
  return S;
}
cl::SubCommand &driver::doneCommand() {
  static cl::SubCommand S("done", "End an interactive task now: its agent's "
                                  "last message is its answer");
  return S;
}
cl::SubCommand &driver::attachCommand() {
  static cl::SubCommand S("attach", "Connect this terminal to a running "
                                    "task's session: watch it, type into it");
  return S;
}

namespace {
cl::opt<std::string> PsRun(cl::Positional, cl::desc("[RUN]"),
                           cl::sub(psCommand()), cl::cat(Category));
cl::opt<bool> PsJson("json", cl::desc("Print JSON (the control protocol's "
                                      "status answers) instead of a table"),
                     cl::sub(psCommand()), cl::cat(Category));
cl::opt<std::string> StopTarget(cl::Positional, cl::desc("RUN[/TASK]"),
                                cl::sub(stopCommand()), cl::cat(Category));
cl::opt<std::string> DoneTarget(cl::Positional, cl::desc("RUN[/TASK]"),
                                cl::sub(doneCommand()), cl::cat(Category));
cl::opt<std::string> SendTarget(cl::Positional, cl::desc("RUN/TASK"),
                                cl::sub(sendCommand()), cl::cat(Category));
cl::opt<std::string> SendText(cl::Positional, cl::desc("TEXT"),
                              cl::sub(sendCommand()), cl::cat(Category));
cl::opt<bool> NoEnter("no-enter", cl::desc("Type the text without Enter"),
                      cl::sub(sendCommand()), cl::cat(Category));
cl::opt<std::string> AttachTarget(cl::Positional, cl::desc("RUN[/TASK]"),
                                  cl::sub(attachCommand()), cl::cat(Category));
cl::opt<bool> ReadOnly("read-only",
                       cl::desc("Watch only: keystrokes do not reach the "
                                "agent (several clients may watch; one "
                                "types at a time)"),
                       cl::sub(attachCommand()), cl::cat(Category));
cl::opt<std::string> DetachKey(
    "detach-key",
    cl::desc("The key that, followed by 'd', detaches (default C-\\; e.g. "
             "C-a, C-]); typed twice it reaches the agent"),
    cl::init("C-\\"), cl::sub(attachCommand()), cl::cat(Category));

/// A run and, after a '/', a task: RUN/TASK, where TASK is a task id
/// ("stage/worker", itself with a '/'), RUN a run id, prefix or directory.
struct Target {
  runtime::RunEntry Run;
  std::string Task;
};

llvm::Expected<Target> resolve(llvm::StringRef Arg, bool TaskAllowed) {
  llvm::Expected<std::string> Dir = runtime::userRuntimeDir();
  if (!Dir)
    return Dir.takeError();
  // The shortest prefix that names a run; what follows is the task. A run
  // directory given as a path has '/'s of its own: every split is tried.
  llvm::Error Last = llvm::Error::success();
  for (size_t At = Arg.find('/');; At = Arg.find('/', At + 1)) {
    llvm::StringRef Run = Arg.substr(0, At);
    llvm::StringRef Task =
        At == llvm::StringRef::npos ? "" : Arg.substr(At + 1);
    if (!Run.empty()) {
      llvm::Expected<runtime::RunEntry> E = runtime::findRun(*Dir, Run);
      if (E) {
        llvm::consumeError(std::move(Last));
        if (!Task.empty() && !TaskAllowed)
          return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                         "'%s' names a task; give a run",
                                         Arg.str().c_str());
        return Target{std::move(*E), Task.str()};
      }
      if (!Last)
        Last = E.takeError();
      else
        llvm::consumeError(E.takeError());
    }
    if (At == llvm::StringRef::npos)
      break;
  }
  return Last;
}

std::string socketOf(const runtime::RunEntry &E) {
  llvm::Expected<std::string> Dir = runtime::userRuntimeDir();
  return server::controlSocketOf(E, Dir ? *Dir : std::string());
}

llvm::Expected<json::Object> ask(const runtime::RunEntry &E,
                                 json::Object Request) {
  llvm::Expected<std::string> Dir = runtime::userRuntimeDir();
  if (!Dir)
    return Dir.takeError();
  return server::askRun(E, *Dir, std::move(Request));
}

/// "C-\" -> 0x1c; "C-a" -> 0x01.
std::optional<char> parseKey(llvm::StringRef K) {
  if (!K.consume_front("C-") && !K.consume_front("^"))
    return std::nullopt;
  if (K.size() != 1)
    return std::nullopt;
  char C = K[0];
  if (C >= 'a' && C <= 'z')
    return static_cast<char>(C - 'a' + 1);
  if (C >= '@' && C <= '_')
    return static_cast<char>(C - '@');
  return std::nullopt;
}

} // namespace

int driver::runPs() {
  const char *Tool = "connectorc ps";
  if (!PsRun.empty()) {
    llvm::Expected<Target> T = resolve(PsRun, /*TaskAllowed=*/false);
    if (!T)
      return failure(Tool, T.takeError());
    llvm::Expected<json::Object> S = ask(T->Run, json::Object{{"op", "status"}});
    if (!S)
      return failure(Tool, S.takeError());
    if (PsJson) {
      llvm::outs() << runtime::toJsonText(json::Value(std::move(*S)), true)
                   << "\n";
      return ExitOk;
    }
    llvm::outs() << fmt::format("{:<28} {:<12} {:<18} {:>8}  {}\n", "TASK",
                                "STATUS", "SESSION", "ELAPSED", "LAST LINE");
    if (const json::Array *Tasks = S->getArray("tasks"))
      for (const json::Value &V : *Tasks) {
        const json::Object *O = V.getAsObject();
        if (!O)
          continue;
        llvm::Optional<double> El = O->getNumber("elapsed_s");
        llvm::outs() << fmt::format(
            "{:<28} {:<12} {:<18} {:>8}  {}\n",
            O->getString("id").getValueOr("").str(),
            O->getString("status").getValueOr("").str(),
            O->getString("state").getValueOr("-").str(),
            El ? fmt::format("{:.0f}s", *El) : "-",
            O->getString("last_line").getValueOr("").take_front(60).str());
      }
    return ExitOk;
  }
  // The live runs and the daemon's that ended (the operation HTTP's and
  // MCP's clients call too).
  server::Operations Ops(server::OperationsConfig{});
  llvm::Expected<json::Object> Runs = Ops.listRuns(/*WithProjectRuns=*/false);
  if (!Runs)
    return failure(Tool, Runs.takeError());
  json::Array *All = Runs->getArray("runs");
  if (PsJson) {
    llvm::outs() << runtime::toJsonText(
                        json::Value(All ? std::move(*All) : json::Array()),
                        true)
                 << "\n";
    return ExitOk;
  }
  llvm::outs() << fmt::format("{:<40} {:<20} {:<10} {:>7} {:<21} {:>9}\n",
                              "RUN", "WORKFLOW", "STATE", "TASKS", "STARTED",
                              "COST");
  for (const json::Value &V : All ? *All : json::Array()) {
    const json::Object *R = V.getAsObject();
    if (!R)
      continue;
    llvm::outs() << fmt::format(
        "{:<40} {:<20} {:<10} {:>7} {:<21} {:>9}\n",
        R->getString("id").getValueOr("").str(),
        R->getString("workflow").getValueOr("").str(),
        R->getString("state").getValueOr("").str(),
        fmt::format("{}/{}", R->getInteger("tasks_done").getValueOr(0),
                    R->getInteger("tasks_total").getValueOr(0)),
        R->getString("started").getValueOr("-").str(),
        fmt::format("${:.4f}", R->getNumber("cost_usd").getValueOr(0)));
  }
  return ExitOk;
}

int driver::runStop() {
  const char *Tool = "connectorc stop";
  if (StopTarget.empty())
    return usage(Tool, "which run? (connectorc stop RUN[/TASK])");
  llvm::Expected<Target> T = resolve(StopTarget, /*TaskAllowed=*/true);
  if (!T)
    return failure(Tool, T.takeError());
  llvm::Expected<json::Object> A =
      ask(T->Run, json::Object{{"op", "stop"}, {"task", T->Task}});
  if (!A)
    return failure(Tool, A.takeError());
  llvm::errs() << (T->Task.empty() ? "stopping " + T->Run.Id
                                   : "stopping " + T->Run.Id + "/" + T->Task)
               << "\n";
  return ExitOk;
}

int driver::runDone() {
  const char *Tool = "connectorc done";
  if (DoneTarget.empty())
    return usage(Tool, "which task? (connectorc done RUN[/TASK])");
  llvm::Expected<Target> T = resolve(DoneTarget, /*TaskAllowed=*/true);
  if (!T)
    return failure(Tool, T.takeError());
  llvm::Expected<json::Object> A =
      ask(T->Run, json::Object{{"op", "done"}, {"task", T->Task}});
  if (!A)
    return failure(Tool, A.takeError());
  llvm::errs() << "ending " << T->Run.Id << "/"
               << A->getString("task").getValueOr(T->Task)
               << " with its last message as its answer\n";
  return ExitOk;
}

int driver::runSend() {
  const char *Tool = "connectorc send";
  if (SendTarget.empty() || SendText.getNumOccurrences() == 0)
    return usage(Tool, "connectorc send RUN/TASK TEXT");
  llvm::Expected<Target> T = resolve(SendTarget, /*TaskAllowed=*/true);
  if (!T)
    return failure(Tool, T.takeError());
  llvm::Expected<json::Object> A =
      ask(T->Run, json::Object{{"op", "send"},
                               {"task", T->Task},
                               {"text", SendText},
                               {"enter", !NoEnter}});
  if (!A)
    return failure(Tool, A.takeError());
  return ExitOk;
}

int driver::runAttach() {
  const char *Tool = "connectorc attach";
  if (AttachTarget.empty())
    return usage(Tool, "which run? (connectorc attach RUN[/TASK])");
  std::optional<char> Key = parseKey(DetachKey);
  if (!Key)
    return usage(Tool, "--detach-key wants a control key such as C-\\, C-a "
                       "or C-]; got '" +
                           DetachKey + "'");
  llvm::Expected<Target> T = resolve(AttachTarget, /*TaskAllowed=*/true);
  if (!T)
    return failure(Tool, T.takeError());
  if (llvm::Error E = runtime::attachTerminal(socketOf(T->Run), T->Task,
                                              ReadOnly, *Key, llvm::errs()))
    return failure(Tool, std::move(E));
  return ExitOk;
}
