//===- Run.cpp - `connectorc run`, `logs` and `status` as a library -------===//
#include "runtime/run/Run.h"
#include "runtime/session/AnsiStrip.h"
#include "runtime/support/Clock.h"
#include "runtime/daemon/Control.h"
#include "runtime/support/Files.h"
#include "runtime/executor/Journal.h"
#include "runtime/support/JsonText.h"
#include "runtime/remote/MachineCheck.h"
#include "runtime/executor/Mailbox.h"
#include "runtime/executor/Nested.h"
#include "runtime/daemon/Notify.h"
#include "runtime/session/PtySession.h"
#include "runtime/sandbox/Sandbox.h"
#include "runtime/run/Summary.h"
#include "runtime/workspace/Workspaces.h"

#include "ir/Mcp.h"
#include "ir/ShellQuote.h"
#include "ir/PlanJson.h"
#include "ir/UserConfig.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <csignal>
#include <set>
#include <thread>
#include <unistd.h>

extern char **environ;

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace json = llvm::json;

namespace {
llvm::Error fail(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

std::vector<std::string> userEnvironment() {
  std::vector<std::string> Env;
  for (char **E = environ; *E; ++E) {
    llvm::StringRef Var(*E);
    // Ours are set per task; TERM is the PTY's.
    if (!Var.startswith("CONNECTOR_") && !Var.startswith("CONNECTORC=") &&
        !Var.startswith("TERM="))
      Env.push_back(Var.str());
  }
  return Env;
}

/// Agents are told to run `connectorc mail send` or `connectorc run SUB`:
/// this connectorc's directory goes at the end of PATH (the user's own
/// programs still come first), and CONNECTORC names it exactly.
void addSelf(std::vector<std::string> &Env, llvm::StringRef SelfExe) {
  if (SelfExe.empty())
    return;
  std::string Dir = llvm::sys::path::parent_path(SelfExe).str();
  auto Path = llvm::find_if(Env, [](const std::string &Var) {
    return llvm::StringRef(Var).startswith("PATH=");
  });
  if (Path == Env.end()) {
    Env.push_back("PATH=/usr/local/bin:/usr/bin:/bin:" + Dir);
  } else {
    llvm::SmallVector<llvm::StringRef, 16> Dirs;
    llvm::StringRef(*Path).drop_front(5).split(Dirs, ':');
    if (!llvm::is_contained(Dirs, Dir))
      *Path += ":" + Dir;
  }
  Env.push_back(("CONNECTORC=" + SelfExe).str());
}

unsigned defaultJobs() {
  unsigned Cores = std::thread::hardware_concurrency();
  return (Cores ? Cores : 1) * 4;
}

llvm::Expected<std::string> chooseRunDir(const ir::Plan &P,
                                         const RunOptions &O,
                                         const std::optional<ParentRun> &Parent) {
  llvm::SmallString<256> Dir(O.RunDir);
  if (Dir.empty() && Parent) {
    Dir = nestedRunDir(*Parent, P.Workflow);
  } else if (Dir.empty()) {
    // Two runs started in the same second get their own directories.
    std::string Base =
        ".connector/runs/" + P.Workflow + "-" + compactUtcStamp();
    Dir = Base;
    for (unsigned N = 2; llvm::sys::fs::exists(Dir); ++N)
      Dir = Base + "-" + std::to_string(N);
  }
  if (std::error_code EC = llvm::sys::fs::make_absolute(Dir))
    return llvm::createStringError(EC, "cannot resolve " + Dir);
  llvm::sys::path::remove_dots(Dir, /*remove_dot_dot=*/true);
  return std::string(Dir);
}

/// Creates the run directory, or checks the one to resume. A run exists once
/// its plan.json does (written first, atomically); a journal may not exist
/// yet. A stage's run (--stage) goes into any directory.
llvm::Error prepareRunDir(const ir::Plan &P, llvm::StringRef Dir, bool Resume,
                          bool Stage) {
  bool Exists = llvm::sys::fs::exists(Dir + "/plan.json");
  if (Resume && !Exists)
    return fail("'" + Dir +
                "' holds no run to resume (no plan.json): it was stopped "
                "before it started; start it again");
  if (Stage)
    Resume = Exists;
  else if (!Resume && Exists)
    return fail("'" + Dir +
                "' already holds a run; continue it with --resume or choose "
                "another --run-dir");
  // Before anything goes into .connector/, git is told to ignore it.
  if (llvm::Error E = hideFromGit(Dir))
    return E;
  for (const char *Sub : {"scratchpad", "sessions"})
    if (std::error_code EC = llvm::sys::fs::create_directories(Dir + "/" + Sub))
      return llvm::createStringError(EC, "cannot create " + Dir + "/" + Sub);
  if (Resume)
    return llvm::Error::success();
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  ir::writePlanJson(OS, P);
  OS.flush();
  return writeFileAtomic((Dir + "/plan.json").str(), Text);
}

/// Every mailbox task's maildir under \p Dir/mail, before any task starts:
/// a message may be sent to an agent that has not started yet.
llvm::Error createMailboxes(const ir::Plan &P, llvm::StringRef Dir) {
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    if (P.Tasks[T].Mailbox)
      if (llvm::Error E =
              createMailbox((Dir + "/mail").str(), ir::mailboxName(P, T)))
        return E;
  return llvm::Error::success();
}

llvm::StringRef resultName(RunResult R) {
  switch (R) {
  case RunResult::Succeeded:
    return "succeeded";
  case RunResult::Failed:
    return "failed";
  case RunResult::Interrupted:
    return "interrupted";
  }
  return "failed";
}

/// Connects to every machine a task is placed on (its failover machines
/// too) and resolves its workdir there. A machine ssh cannot reach is kept,
/// down, for its tasks to fail over from; a sandboxed task's machine must
/// have a bwrap that works (it fails closed, as here).
llvm::Expected<std::vector<RemoteTarget>>
connectMachines(const ir::Plan &P, llvm::StringRef Dir, const RunOptions &O) {
  std::vector<RemoteTarget> Out;
  std::vector<MachineNeeds> Needs = machineNeeds(P);
  if (Needs.empty())
    return Out;
  SshSettings S;
  if (!O.NoSshSharing) {
    llvm::Expected<std::string> Control = makeControlDir();
    if (!Control)
      return Control.takeError();
    S.ControlDir = *Control;
  }
  S.BatchMode = true; // A password prompt would wait for no one.
  S.ConnectTimeoutS = 10;
  std::string RunId = llvm::sys::path::filename(Dir).str();
  for (const MachineNeeds &N : Needs) {
    llvm::Expected<RemoteTarget> M = resolveRemote(*N.M, S, RunId);
    if (!M)
      return M.takeError();
    if (!M->Down.empty()) {
      llvm::WithColor::warning(llvm::errs(), "connectorc run")
          << "machine '" << M->Name << "' (" << M->Host
          << ") cannot be reached: " << M->Down << "\n";
    } else if (!O.NoSandbox && llvm::is_contained(N.Tools, "bwrap")) {
      std::string Probe;
      for (const std::string &W : bwrapProbeArgv(RemoteBwrap))
        Probe += (Probe.empty() ? "" : " ") + shellQuote(W);
      if (llvm::Expected<std::string> Ok = runRemote(M->Prefix, Probe); !Ok)
        return fail("the plan sandboxes its agents on machine '" + M->Name +
                    "', but " + RemoteBwrap + " cannot run there (" +
                    llvm::toString(Ok.takeError()) +
                    "); pass --no-sandbox to run them unsandboxed, knowingly");
    }
    Out.push_back(std::move(*M));
  }
  return Out;
}

/// Says once per provider whose sessions lack the plan's MCP servers: one
/// connectorc cannot configure, or a server codex cannot be given.
void warnMcpUnsupported(const ir::Plan &P) {
  std::set<std::string> Providers;
  for (const ir::ModelBinding &B : P.Bindings)
    if (!B.Simulated)
      Providers.insert(B.Provider);
  auto Warn = []() -> llvm::raw_ostream & {
    return llvm::WithColor::warning(llvm::errs(), "connectorc run");
  };
  for (const std::string &Provider : Providers) {
    if (Provider == "claude" || Provider == "gemini")
      continue;
    if (Provider != "codex") {
      Warn() << "connectorc does not know how to give " << Provider
             << " its MCP servers; its sessions run without the tools\n";
      continue;
    }
    for (const std::string &Why : ir::codexMcpArgs(P.Tools).Skipped)
      Warn() << "codex's sessions run without MCP " << Why << "\n";
  }
}

/// bwrap's path when the plan sandboxes a task ("" when it does not, or
/// with --no-sandbox); an error, and no run, when it cannot be had.
llvm::Expected<std::string> sandboxFor(const ir::Plan &P, const RunOptions &O) {
  if (O.NoSandbox || llvm::none_of(P.Tasks, [](const ir::Task &T) {
        return T.Session.Sandbox.Enabled;
      }))
    return std::string();
  llvm::Expected<std::string> Bwrap = findBwrap();
  if (!Bwrap)
    return fail("the plan sandboxes its agents, but " +
                llvm::toString(Bwrap.takeError()) +
                "; or pass --no-sandbox to run them unsandboxed, knowingly");
  if (llvm::Error E = probeBwrap(*Bwrap))
    return fail("the plan sandboxes its agents, but " +
                llvm::toString(std::move(E)) +
                "; pass --no-sandbox to run them unsandboxed, knowingly");
  return *Bwrap;
}

/// One run: the loop, the journal, the executor, the display, the control
/// socket.
class Runner : public RunControl {
public:
  Runner(const ir::Plan &P, const RunOptions &O, std::string Dir,
         std::string Bwrap, std::optional<ParentRun> Parent,
         std::optional<double> Budget, std::vector<RemoteTarget> Remotes)
      : P(P), O(O), Dir(std::move(Dir)), Bwrap(std::move(Bwrap)),
        Parent(std::move(Parent)), Budget(Budget),
        Remotes(std::move(Remotes)), Launch(Io),
        Interrupts(Io, SIGINT, SIGTERM) {}
  llvm::Expected<RunResult> run(Journal J,
                                const std::vector<json::Object> &Past);

  json::Object status() override;
  llvm::Error stop(llvm::StringRef Task) override;
  llvm::Error done(llvm::StringRef Task, std::string &Id) override;
  llvm::Expected<Terminal *> terminal(llvm::StringRef Task,
                                      std::string &Id) override;

private:
  /// Listens on the run's control socket; a warning when it cannot (the
  /// run goes on, without attach).
  void openControl();
  /// Ctrl-C, SIGTERM or `connectorc stop RUN`: \p Why in the journal.
  void interrupt(llvm::StringRef Why);
  void sink(json::Object E, bool Durable);
  void flush();
  void watchInterrupts();
  void finish();
  ExecutorOptions executorOptions() const;
  llvm::Error openEvents();
  void printResult(const RunReport &R) const;
  /// The notifications of the spec and of the user's config (what cannot
  /// be used is a warning on stderr).
  NotifyConfig notifyConfig() const;

  const ir::Plan &P;
  const RunOptions &O;
  std::string Dir;
  std::string Bwrap;
  std::optional<ParentRun> Parent;
  std::optional<double> Budget;
  std::vector<RemoteTarget> Remotes;
  asio::io_context Io;
  std::unique_ptr<JobServer> Slots;
  /// After Io, before it in destruction: nothing it posts outlives it.
  std::unique_ptr<Notifier> Notify;
  PtyLauncher Launch;
  asio::signal_set Interrupts;
  SystemClock Clock;
  std::optional<Journal> Log;
  std::unique_ptr<llvm::raw_fd_ostream> EventsFile;
  llvm::raw_fd_ostream *Events = nullptr;
  std::unique_ptr<Executor> X;
  std::optional<Workspaces> Trees;
  std::unique_ptr<StatusPrinter> Status;
  std::optional<ControlServer> Control;
  std::string Started;
  llvm::Error Failure = llvm::Error::success();
  unsigned Interrupted = 0;
  RunResult Result = RunResult::Failed;
  bool Over = false;
};

ExecutorOptions Runner::executorOptions() const {
  ExecutorOptions X;
  X.Jobs = O.Jobs ? O.Jobs : defaultJobs();
  X.RunDir = Dir;
  X.SelfExe = O.SelfExe;
  X.WorkDir = llvm::sys::fs::is_directory(P.ProjectRoot) ? P.ProjectRoot : "";
  X.TimeoutS = O.TimeoutS;
  X.KillGraceS = O.KillGraceS;
  X.CoolDownS = O.CoolDownS;
  X.BackoffBaseS = O.BackoffBaseS;
  for (const auto &F : O.SimulateFail)
    X.SimulateFail[F.getKey()] = F.getValue();
  X.BaseEnv = userEnvironment();
  addSelf(X.BaseEnv, O.SelfExe);
  if (Trees) {
    X.TaskDirs = Trees->taskDirs();
    X.RemoteTrees = Trees->remoteTrees();
  }
  X.Bwrap = Bwrap;
  X.Remotes = Remotes;
  if (!O.NoSandbox)
    X.RemoteBwrap = RemoteBwrap;
  X.Slots = Slots.get();
  X.BudgetUsd = Budget;
  return X;
}

llvm::Error Runner::openEvents() {
  if (O.EventsPath.empty())
    return llvm::Error::success();
  if (O.EventsPath == "-") {
    Events = &llvm::outs();
    return llvm::Error::success();
  }
  std::error_code EC;
  EventsFile = std::make_unique<llvm::raw_fd_ostream>(O.EventsPath, EC);
  if (EC)
    return llvm::createStringError(EC, "cannot write " + O.EventsPath);
  Events = EventsFile.get();
  return llvm::Error::success();
}

void Runner::sink(json::Object E, bool Durable) {
  E["time"] = Clock.utcStamp();
  // What the session shows when it changes state: its question, mostly.
  if (X && eventString(E, "event") == "session-state" &&
      !E.get("last_line"))
    if (std::optional<unsigned> T = X->taskNamed(eventString(E, "task")))
      if (Session *S = X->live(*T))
        E["last_line"] = S->lastLine();
  if (Log && !Failure)
    if (llvm::Error Err = Log->append(E, Durable))
      Failure = std::move(Err);
  if (Status)
    Status->event(E);
  if (Notify)
    Notify->event(E);
  if (Events) {
    *Events << toJsonText(json::Value(std::move(E))) << '\n';
    Events->flush();
    if (Events->has_error()) {
      // The reader went away (a closed pipe) or the disk is full: the run
      // goes on, and the journal still has every event.
      Events->clear_error();
      Events = nullptr;
      llvm::WithColor::warning(llvm::errs(), "connectorc run")
          << "cannot write the events stream any more; the journal "
             "(events.jsonl) has every event\n";
    }
  }
}

void Runner::flush() {
  if (Log && !Failure)
    if (llvm::Error Err = Log->sync())
      Failure = std::move(Err);
}

void Runner::watchInterrupts() {
  Interrupts.async_wait([this](boost::system::error_code EC, int Sig) {
    if (EC || Over)
      return;
    interrupt(Sig == SIGINT ? "SIGINT" : "SIGTERM");
    watchInterrupts();
  });
}

void Runner::interrupt(llvm::StringRef Why) {
  ++Interrupted;
  sink(json::Object{{"event", "interrupt"}, {"signal", Why}}, false);
  // The second Ctrl-C kills at once.
  X->interrupt(/*Now=*/Interrupted > 1);
}

void Runner::openControl() {
  // A run started by an agent is its parent's to show; a stage run's
  // directory may be shared with the others of its plan.
  if (Parent || !O.Stage.empty())
    return;
  llvm::Expected<std::string> Home = userRuntimeDir();
  if (!Home) {
    llvm::WithColor::warning(llvm::errs(), "connectorc run")
        << llvm::toString(Home.takeError())
        << "; the run goes on, but cannot be attached to\n";
    return;
  }
  RunEntry E;
  E.RunDir = Dir;
  E.Key = runKey(Dir);
  E.Id = llvm::sys::path::filename(Dir).str();
  E.Workflow = P.Workflow;
  E.Started = Started;
  E.Pid = ::getpid();
  E.Detached = std::getenv("CONNECTORC_DETACHED") != nullptr;
  Control.emplace(Io, *this);
  if (llvm::Error Err =
          Control->listen(*Home + "/runs/" + E.Key + ".sock", &E)) {
    Control.reset();
    llvm::WithColor::warning(llvm::errs(), "connectorc run")
        << llvm::toString(std::move(Err))
        << "; the run goes on, but cannot be attached to\n";
  }
}

json::Object Runner::status() {
  json::Array Tasks;
  std::vector<RunningTask> Running = X->running();
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    json::Object Task{{"id", P.Tasks[T].Id},
                      {"status", taskStatusName(X->status(T))}};
    auto R = llvm::find_if(Running,
                           [T](const RunningTask &R) { return R.Task == T; });
    if (R != Running.end()) {
      Session *S = X->live(T);
      Task["state"] = S ? activityName(S->activity()).str() : R->State;
      Task["binding"] = R->Binding;
      Task["elapsed_s"] = std::round(R->ElapsedS * 10) / 10;
      Task["last_line"] = R->LastLine;
      Task["attachable"] = S && S->terminal();
    }
    Tasks.push_back(std::move(Task));
  }
  json::Object Run{{"id", llvm::sys::path::filename(Dir).str()},
                   {"run_dir", Dir},
                   {"workflow", P.Workflow},
                   {"pid", int64_t(::getpid())},
                   {"started", Started},
                   {"state", Over             ? "ending"
                             : X->interrupted() ? "stopping"
                                                : "running"},
                   {"tasks_total", int64_t(P.Tasks.size())},
                   {"tasks_done", int64_t(X->finished())},
                   {"cost_usd", std::round(X->spentUsd() * 1e6) / 1e6}};
  return json::Object{{"run", std::move(Run)}, {"tasks", std::move(Tasks)}};
}

llvm::Error Runner::stop(llvm::StringRef Task) {
  if (Task.empty()) {
    if (!Over)
      interrupt("connectorc stop");
    return llvm::Error::success();
  }
  std::optional<unsigned> T = X->taskNamed(Task);
  if (!T)
    return fail("no task '" + Task + "' in the run");
  llvm::Error E = X->stopTask(*T);
  if (!E)
    sink(json::Object{{"event", "task-stop"}, {"task", Task}}, false);
  return E;
}

llvm::Error Runner::done(llvm::StringRef Task, std::string &Id) {
  // The same task terminal() finds (the only running one when unnamed).
  llvm::Expected<Terminal *> Term = terminal(Task, Id);
  if (!Term)
    return Term.takeError();
  std::optional<unsigned> T = X->taskNamed(Id);
  Session *S = T ? X->live(*T) : nullptr;
  if (!S || !S->done())
    return fail("task '" + Id +
                "' is not an interactive session that has its prompt "
                "(\"interactive\": true; docs/interactive.md)");
  sink(json::Object{{"event", "task-done"}, {"task", Id}}, false);
  return llvm::Error::success();
}

llvm::Expected<Terminal *> Runner::terminal(llvm::StringRef Task,
                                            std::string &Id) {
  if (Task.empty()) {
    std::vector<unsigned> Live;
    for (const RunningTask &R : X->running())
      if (Session *S = X->live(R.Task); S && S->terminal())
        Live.push_back(R.Task);
    if (Live.size() != 1) {
      std::string Names;
      for (unsigned T : Live)
        Names += (Names.empty() ? "" : ", ") + P.Tasks[T].Id;
      return fail(Live.empty()
                      ? "no task of the run is running now"
                      : std::to_string(Live.size()) +
                            " tasks are running (" + Names +
                            "); name one as RUN/TASK");
    }
    Id = P.Tasks[Live.front()].Id;
    return X->live(Live.front())->terminal();
  }
  std::optional<unsigned> T = X->taskNamed(Task);
  if (!T)
    return fail("no task '" + Task + "' in the run");
  Session *S = X->live(*T);
  if (!S || !S->terminal())
    return fail("task '" + Task + "' is not running (it is " +
                taskStatusName(X->status(*T)) + ")");
  Id = Task.str();
  return S->terminal();
}

void Runner::finish() {
  Over = true;
  // A task stopped on its own (connectorc stop RUN/TASK) leaves the run
  // unfinished, as Ctrl-C does.
  Result = X->interrupted() || X->count(TaskStatus::Interrupted)
               ? RunResult::Interrupted
           : X->count(TaskStatus::Failed) ? RunResult::Failed
                                          : RunResult::Succeeded;
  sink(json::Object{{"event", "run-end"}, {"status", resultName(Result)}},
       true);
  if (Status)
    Status->stop();
  boost::system::error_code Ignored;
  Interrupts.cancel(Ignored);
  // Attached clients get what was queued for them (the session's end)
  // before the loop stops.
  if (Control)
    Control->closeGracefully([this] { Io.stop(); });
  else
    Io.stop();
}

llvm::Expected<RunResult> Runner::run(Journal J,
                                      const std::vector<json::Object> &Past) {
  Log.emplace(std::move(J));
  if (llvm::Error E = openEvents())
    return E;
  // Worktrees first: tasks' directories are the executor's to know. Their
  // events follow the run's start in the journal.
  std::vector<json::Object> Made;
  llvm::Expected<Workspaces> WS = Workspaces::prepare(
      P, Dir, O.Resume, [&Made](json::Object E) { Made.push_back(std::move(E)); });
  if (!WS)
    return WS.takeError();
  Trees.emplace(std::move(*WS));
  // One pool of job slots for this run and every run its agents start.
  llvm::Expected<std::unique_ptr<JobServer>> Pool =
      Parent && !Parent->JobServer.empty()
          ? JobServer::join(Io, Parent->JobServer)
          : JobServer::create(Io, O.Jobs ? O.Jobs : defaultJobs());
  if (Pool)
    Slots = std::move(*Pool);
  else
    llvm::WithColor::warning(llvm::errs(), "connectorc run")
        << llvm::toString(Pool.takeError())
        << "; the run's --jobs alone limits its sessions\n";
  NotifyConfig Notifications = notifyConfig();
  ExecutorOptions XO = executorOptions();
  XO.MakeTreeHere = [this](unsigned T) {
    return Trees->makeHere(
        T, [this](json::Object E) { sink(std::move(E), false); });
  };
  X = std::make_unique<Executor>(
      Io, P, Launch, Clock, std::move(XO),
      [this](json::Object E, bool Durable) { sink(std::move(E), Durable); },
      [this] { flush(); });
  // A child run's lines go to its agent's terminal, and from there to the
  // parent's transcript and progress display: plain lines, no redrawing.
  if (O.Level != Verbosity::Quiet && ::isatty(STDERR_FILENO) &&
      O.EventsPath != "-" && !getenv("CI") && !Parent)
    Status = createTerminalStatus(Io, STDERR_FILENO, *X, O.Level,
                                  Notifications.Bell);
  else
    Status = createPlainStatus(llvm::errs(), *X, O.Level);
  Notify = std::make_unique<Notifier>(
      Io, std::move(Notifications), llvm::sys::path::filename(Dir).str(),
      P.Workflow, [this](json::Object E) { sink(std::move(E), false); });
  json::Object Start{{"event", O.Resume ? "run-resume" : "run-start"},
                     {"workflow", P.Workflow},
                     {"tasks", int64_t(P.Tasks.size())},
                     {"run_dir", Dir},
                     {"pid", int64_t(::getpid())}};
  if (Parent) {
    Start["parent_run"] = Parent->RunDir;
    Start["parent_task"] = Parent->Task;
  }
  if (!O.Stage.empty())
    Start["stage"] = O.Stage;
  sink(std::move(Start), true);
  for (json::Object &E : Made)
    sink(std::move(E), false);
  bool Sandboxed = llvm::any_of(
      P.Tasks, [](const ir::Task &T) { return T.Session.Sandbox.Enabled; });
  if (Sandboxed && O.NoSandbox)
    sink(json::Object{{"event", "sandbox-disabled"},
                      {"reason", "--no-sandbox"}},
         true);
  X->restore(Past);
  Started = Clock.utcStamp();
  openControl();
  watchInterrupts();
  X->start([this] { finish(); });
  Io.run();
  if (Failure)
    return std::move(Failure);
  RunReport Report = reportFromExecutor(*X, resultName(Result), Dir);
  if (Sandboxed)
    Report.Sandbox = O.NoSandbox ? "disabled by --no-sandbox" : "bwrap";
  if (!Trees->empty()) {
    llvm::Expected<json::Value> Git = Trees->finish(
        *X, Result == RunResult::Interrupted, O.KeepWorktrees,
        [this](json::Object E) { sink(std::move(E), false); });
    flush();
    if (!Git)
      return Git.takeError();
    Report.Git = std::move(*Git);
  }
  std::string Json = toJsonText(summaryJson(Report), /*Pretty=*/true) + "\n";
  if (llvm::Error E = writeFileAtomic(Dir + "/summary.json", Json))
    return E;
  if (llvm::Error E =
          writeFileAtomic(Dir + "/summary.md", summaryMarkdown(Report)))
    return E;
  printResult(Report);
  return Result;
}

NotifyConfig Runner::notifyConfig() const {
  std::vector<std::string> Warnings;
  NotifyConfig C =
      loadNotifyConfig(P, ir::userConfigFile("config.json"), Warnings);
  for (const std::string &W : Warnings)
    llvm::WithColor::warning(llvm::errs(), "connectorc run") << W << "\n";
  return C;
}

void Runner::printResult(const RunReport &R) const {
  llvm::StringMap<unsigned> Counts;
  for (const TaskReport &T : R.Tasks)
    ++Counts[T.Status];
  llvm::errs() << fmt::format(
      "{}: {}: {} succeeded, {} failed, {} skipped{}; estimated cost ${:.4f}; "
      "run directory {}\n",
      P.Workflow, R.Status, Counts["succeeded"], Counts["failed"],
      Counts["skipped"],
      Counts["interrupted"]
          ? fmt::format(", {} interrupted", Counts["interrupted"])
          : "",
      R.EstimateUsd, Dir);
}
} // namespace

/// Runs \p P, part of \p Whole (the same plan, or a stage's: then \p Given
/// holds the tasks done before, in place of the journal's).
static llvm::Expected<RunResult>
execute(const ir::Plan &Whole, const ir::Plan &P,
        const std::vector<json::Object> *Given, const RunOptions &O) {
  // Fails closed before anything is made.
  llvm::Expected<std::string> Bwrap = sandboxFor(P, O);
  if (!Bwrap)
    return Bwrap.takeError();
  std::optional<ParentRun> Parent = parentFromEnvironment();
  std::optional<double> Budget = P.Cost.BudgetUsd;
  if (Parent && Parent->BudgetLeftUsd) {
    if (P.Cost.EstimateUsd > *Parent->BudgetLeftUsd)
      return fail(fmt::format(
          "'{}' is estimated at ${:.4f}, over the ${:.4f} left of the budget "
          "of the run that starts it ({}, task {}); it does not start",
          P.Workflow, P.Cost.EstimateUsd, *Parent->BudgetLeftUsd,
          Parent->RunDir, Parent->Task));
    Budget = std::min(Budget.value_or(*Parent->BudgetLeftUsd),
                      *Parent->BudgetLeftUsd);
  }
  llvm::Expected<std::string> Dir = chooseRunDir(Whole, O, Parent);
  if (!Dir)
    return Dir.takeError();
  if (llvm::Error E = prepareRunDir(Whole, *Dir, O.Resume, Given != nullptr))
    return E;
  llvm::Expected<std::vector<json::Object>> Past =
      readJournal(*Dir + "/events.jsonl");
  if (!Past)
    return Past.takeError();
  llvm::Expected<Journal> J = Journal::open(*Dir + "/events.jsonl");
  if (!J)
    return J.takeError();
  // The summary of an earlier, interrupted attempt no longer holds.
  llvm::sys::fs::remove(*Dir + "/summary.json");
  llvm::sys::fs::remove(*Dir + "/summary.md");
  if (!P.Tools.empty()) {
    // The sessions' MCP servers: secrets stay references ("${NAME}").
    if (llvm::Error E =
            writeFileAtomic(*Dir + "/mcp.json", ir::mcpConfigJson(P.Tools)))
      return E;
    warnMcpUnsupported(P);
  }
  if (llvm::Error E = createMailboxes(P, *Dir))
    return E;
  llvm::Expected<std::vector<RemoteTarget>> Remotes =
      connectMachines(P, *Dir, O);
  if (!Remotes)
    return Remotes.takeError();
  Runner R(P, O, *Dir, std::move(*Bwrap), std::move(Parent), Budget,
           std::move(*Remotes));
  return R.run(std::move(*J), Given ? *Given : *Past);
}

llvm::Expected<RunResult> runtime::runPlan(const ir::Plan &P,
                                           const RunOptions &O) {
  return execute(P, P, nullptr, O);
}

llvm::Expected<RunResult> runtime::runStage(const ir::Plan &Whole,
                                            const StagePlan &S,
                                            const RunOptions &O) {
  return execute(Whole, S.Plan, &S.Given, O);
}

llvm::Expected<std::string> runtime::newRunDir(const ir::Plan &P,
                                               llvm::StringRef RunDir) {
  RunOptions O;
  O.RunDir = RunDir.str();
  return chooseRunDir(P, O, std::nullopt);
}

llvm::Expected<ir::Plan> runtime::loadRunPlan(llvm::StringRef RunDir) {
  std::string Path = (RunDir + "/plan.json").str();
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!Buf)
    return llvm::createStringError(Buf.getError(), "cannot read " + Path);
  return ir::readPlanJson((*Buf)->getBuffer(), Path);
}

llvm::Expected<RunReport> runtime::loadRunReport(llvm::StringRef RunDir) {
  llvm::Expected<ir::Plan> P = loadRunPlan(RunDir);
  if (!P)
    return P.takeError();
  llvm::Expected<std::vector<json::Object>> Events =
      readJournal((RunDir + "/events.jsonl").str());
  if (!Events)
    return Events.takeError();
  RunReport R = reportFromJournal(*P, *Events, RunDir);
  // A run without its end whose runtime is gone was killed.
  if (R.Status == "running" && (R.Pid <= 0 || ::kill(R.Pid, 0) != 0))
    R.Status = "stopped (continue it with connectorc run --resume --run-dir " +
               RunDir.str() + ")";
  return R;
}

llvm::Error runtime::printRunStatus(llvm::StringRef RunDir,
                                    llvm::raw_ostream &OS) {
  llvm::Expected<RunReport> R = loadRunReport(RunDir);
  if (!R)
    return R.takeError();
  printStatus(OS, *R);
  return llvm::Error::success();
}

bool runtime::parseSimulateFail(llvm::StringRef Arg, std::string &Provider,
                                std::string &Kind) {
  auto [Left, Right] = Arg.split('=');
  static const char *Kinds[] = {"unavailable", "rate-limit", "overloaded",
                                "auth",        "context",    "crash",
                                "hang",        "empty"};
  if (Left.empty() || !llvm::is_contained(Kinds, Right))
    return false;
  Provider = Left.str();
  Kind = Right.str();
  return true;
}
