//===- Sessions.cpp - `connectorc ps`, `stop`, `send`, `attach` -----------===//
//
// The commands that reach running runs through their control sockets
// (runtime/daemon/Control.h): the runs of this user, in the foreground of another
// terminal or in the daemon.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "runtime/daemon/Control.h"
#include "runtime/daemon/Daemon.h"
#include "runtime/support/JsonText.h"
#include "runtime/run/Run.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <csignal>

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
  return (Dir ? *Dir : std::string()) + "/runs/" + E.Key + ".sock";
}

llvm::Expected<json::Object> ask(const runtime::RunEntry &E,
                                 json::Object Request) {
  llvm::Expected<runtime::ControlClient> C =
      runtime::ControlClient::connect(socketOf(E));
  if (!C) {
    llvm::consumeError(C.takeError());
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the run '%s' does not answer (its connectorc is gone; "
        "'connectorc status %s' shows what it did)",
        E.Id.c_str(), E.RunDir.c_str());
  }
  return C->call(std::move(Request));
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

std::string ago(llvm::StringRef Started) { return Started.str(); }
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
  llvm::Expected<std::string> Dir = runtime::userRuntimeDir();
  if (!Dir)
    return failure(Tool, Dir.takeError());
  json::Array All;
  if (!PsJson)
    llvm::outs() << fmt::format("{:<40} {:<20} {:<10} {:>7} {:<21} {:>9}\n",
                                "RUN", "WORKFLOW", "STATE", "TASKS",
                                "STARTED", "COST");
  for (const runtime::RunEntry &E : runtime::listRuns(*Dir)) {
    llvm::Expected<json::Object> S = ask(E, json::Object{{"op", "status"}});
    if (!S) {
      llvm::consumeError(S.takeError());
      // Its connectorc is gone without removing its entry (killed): the
      // entry goes now, if the process is really gone.
      if (E.Pid > 0 && ::kill(static_cast<pid_t>(E.Pid), 0) != 0) {
        ::unlink(socketOf(E).c_str());
        std::string Entry = socketOf(E);
        Entry.replace(Entry.size() - 5, 5, ".json");
        ::unlink(Entry.c_str());
      }
      continue;
    }
    const json::Object *R = S->getObject("run");
    if (!R)
      continue;
    if (PsJson) {
      All.push_back(json::Object(*R));
      continue;
    }
    llvm::outs() << fmt::format(
        "{:<40} {:<20} {:<10} {:>7} {:<21} {:>9}\n", E.Id, E.Workflow,
        R->getString("state").getValueOr("").str(),
        fmt::format("{}/{}", R->getInteger("tasks_done").getValueOr(0),
                    R->getInteger("tasks_total").getValueOr(0)),
        ago(E.Started),
        fmt::format("${:.4f}", R->getNumber("cost_usd").getValueOr(0)));
  }
  // The daemon's runs that ended while it ran: what they did, from their
  // run directories (their own sockets are gone).
  if (llvm::Expected<runtime::ControlClient> C =
          runtime::ControlClient::connect(runtime::daemonSocket(*Dir))) {
    llvm::Expected<json::Object> S = C->call(json::Object{{"op", "status"}});
    const json::Array *Runs = S ? S->getArray("runs") : nullptr;
    if (!S)
      llvm::consumeError(S.takeError());
    for (const json::Value &V : Runs ? *Runs : json::Array()) {
      const json::Object *R = V.getAsObject();
      if (!R || R->getString("state").getValueOr("running") == "running" ||
          R->getString("state").getValueOr("") == "restarting")
        continue;
      std::string RunDir = R->getString("run_dir").getValueOr("").str();
      llvm::Expected<runtime::RunReport> Rep = runtime::loadRunReport(RunDir);
      if (!Rep) {
        llvm::consumeError(Rep.takeError());
        continue;
      }
      unsigned Done = 0;
      for (const runtime::TaskReport &T : Rep->Tasks)
        Done += T.Status != "pending" && T.Status != "running";
      std::string State = R->getString("state").getValueOr("") == "died"
                              ? "died"
                              : Rep->Status;
      std::string Id = llvm::sys::path::filename(RunDir).str();
      if (PsJson) {
        All.push_back(json::Object{{"id", Id},
                                   {"run_dir", RunDir},
                                   {"workflow", Rep->Workflow},
                                   {"state", State},
                                   {"tasks_done", int64_t(Done)},
                                   {"tasks_total", int64_t(Rep->Tasks.size())},
                                   {"cost_usd", Rep->ActualUsd.value_or(
                                                    Rep->EstimateUsd)}});
        continue;
      }
      llvm::outs() << fmt::format(
          "{:<40} {:<20} {:<10} {:>7} {:<21} {:>9}\n", Id, Rep->Workflow,
          State, fmt::format("{}/{}", Done, Rep->Tasks.size()), "-",
          fmt::format("${:.4f}",
                      Rep->ActualUsd.value_or(Rep->EstimateUsd)));
    }
  } else {
    llvm::consumeError(C.takeError());
  }
  if (PsJson)
    llvm::outs() << runtime::toJsonText(json::Value(std::move(All)), true)
                 << "\n";
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
