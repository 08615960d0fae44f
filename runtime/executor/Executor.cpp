//===- Executor.cpp - runs a plan's tasks on the event loop ---------------===//
#include "runtime/executor/Executor.h"
#include "runtime/support/Files.h"
#include "runtime/executor/Journal.h"
#include "runtime/executor/StructuredAnswer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <cmath>
#include <csignal>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace json = llvm::json;

llvm::StringRef runtime::taskStatusName(TaskStatus S) {
  switch (S) {
  case TaskStatus::Pending:
    return "pending";
  case TaskStatus::Running:
    return "running";
  case TaskStatus::BackingOff:
    return "backing-off";
  case TaskStatus::Succeeded:
    return "succeeded";
  case TaskStatus::Failed:
    return "failed";
  case TaskStatus::Skipped:
    return "skipped";
  case TaskStatus::Interrupted:
    return "interrupted";
  }
  return "unknown";
}

namespace {
bool isFinal(TaskStatus S) {
  return S == TaskStatus::Succeeded || S == TaskStatus::Failed ||
         S == TaskStatus::Skipped || S == TaskStatus::Interrupted;
}

/// What a cool-down applies to: the provider; for custom commands (which
/// all share the provider name "custom") and for models with an environment
/// of their own (another endpoint or key: a gateway, a second account), the
/// binding itself.
llvm::StringRef coolKey(const ir::ModelBinding &B) {
  return B.Provider == "custom" || !B.Env.empty() ? llvm::StringRef(B.Id)
                                                  : llvm::StringRef(B.Provider);
}

/// Outcomes after which the provider is left alone for a while.
bool coolsDown(OutcomeKind K) {
  return K == OutcomeKind::Unavailable || K == OutcomeKind::RateLimited ||
         K == OutcomeKind::Overloaded;
}

asio::steady_timer::duration seconds(double S) {
  return std::chrono::duration_cast<asio::steady_timer::duration>(
      std::chrono::duration<double>(S));
}

} // namespace

Executor::Executor(asio::io_context &Io, const ir::Plan &P, Launcher &L,
                   const Clock &C, ExecutorOptions Opts, EventSink Sink,
                   FlushEvents Flush)
    : Io(Io), P(P), L(L), C(C), Opts(std::move(Opts)), Sink(std::move(Sink)),
      Flush(std::move(Flush)), Tasks(P.Tasks.size()),
      Dependants(P.Tasks.size()), StageDependants(P.Stages.size()),
      StageLeft(P.Stages.size()), Meshes(P.Stages.size()) {
  if (this->Opts.Jobs == 0)
    this->Opts.Jobs = 1;
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    for (unsigned D : P.Tasks[T].Deps)
      Dependants[D].push_back(T);
    Tasks[T].Dead.assign(P.Tasks[T].Candidates.size(), false);
  }
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    for (unsigned D : P.Stages[S].DependsOn)
      StageDependants[D].push_back(S);
  Counts[static_cast<size_t>(TaskStatus::Pending)] = P.Tasks.size();
  computeCounts();
}

Executor::~Executor() {
  for (unsigned T = 0; T < Tasks.size(); ++T)
    closeEgress(T);
}

void Executor::computeCounts() {
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    Tasks[T].Waiting =
        P.Tasks[T].Deps.size() + P.Stages[P.Tasks[T].Stage].DependsOn.size();
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    StageLeft[S] = P.Stages[S].Tasks.size() + P.Stages[S].DependsOn.size();
}

// A finished prerequisite: dependants may become ready, and the stage may end.
void Executor::markDone(unsigned T) {
  for (unsigned D : Dependants[T])
    if (--Tasks[D].Waiting == 0)
      makeReady(D);
  unsigned S = P.Tasks[T].Stage;
  if (--StageLeft[S] == 0)
    endStage(S);
}

void Executor::endStage(unsigned S) {
  for (unsigned D : StageDependants[S]) {
    for (unsigned T : P.Stages[D].Tasks)
      if (--Tasks[T].Waiting == 0)
        makeReady(T);
    if (--StageLeft[D] == 0)
      endStage(D);
  }
}

void Executor::makeReady(unsigned T) {
  if (Tasks[T].Status == TaskStatus::Pending && Finished)
    enqueue(T, /*Front=*/false);
}

// A task is in the ready queue at most once.
void Executor::enqueue(unsigned T, bool Front) {
  if (Tasks[T].Queued)
    return;
  Tasks[T].Queued = true;
  if (Front)
    Ready.push_front(T);
  else
    Ready.push_back(T);
}

void Executor::start(std::function<void()> OnFinished) {
  Finished = std::move(OnFinished);
  for (const RemoteTarget &M : Opts.Remotes)
    if (!M.Down.empty())
      emit(json::Object{{"event", "machine-down"},
                        {"machine", M.Name},
                        {"host", M.Host},
                        {"reason", M.Down}});
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    if (StageLeft[S] == 0)
      endStage(S);
  // Tasks a resumed run already finished count as done first.
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    if (isFinal(Tasks[T].Status))
      markDone(T);
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    if (Tasks[T].Waiting == 0 && Tasks[T].Status == TaskStatus::Pending)
      enqueue(T, /*Front=*/false);
  pump();
  checkFinished();
}

void Executor::pump() {
  // A mesh's agents talk to one another, so they all start together whatever
  // --jobs says: an agent waiting for mail from one not started would wait
  // for nothing.
  std::vector<unsigned> Mesh;
  llvm::erase_if(Ready, [&](unsigned T) {
    if (Stopping || P.Stages[P.Tasks[T].Stage].Kind != ir::StageKind::Mesh)
      return false;
    Mesh.push_back(T);
    Tasks[T].Queued = false;
    return true;
  });
  for (unsigned T : Mesh)
    if (Tasks[T].Status == TaskStatus::Pending ||
        Tasks[T].Status == TaskStatus::BackingOff)
      tryStart(T);
  while (!Stopping && NumRunning < Opts.Jobs && !Ready.empty()) {
    unsigned T = Ready.front();
    if (Tasks[T].Status != TaskStatus::Pending &&
        Tasks[T].Status != TaskStatus::BackingOff) {
      Ready.pop_front();
      Tasks[T].Queued = false;
      continue;
    }
    if (!takeSlot(T)) {
      // Every slot of the tree of runs is taken: wait for one to come back.
      Opts.Slots->whenFree([this] {
        pump();
        checkFinished();
      });
      return;
    }
    Ready.pop_front();
    Tasks[T].Queued = false;
    tryStart(T);
    if (Tasks[T].Status != TaskStatus::Running)
      releaseSlot(T); // It backs off or failed: no session holds the slot.
  }
}

void Executor::recoverSlots() {
  if (NumRunning != 0 || !Opts.Slots)
    return;
  unsigned Held = unsigned(llvm::count_if(
      Tasks, [](const TaskState &TS) { return TS.HoldsToken; }));
  if (unsigned N = Opts.Slots->recoverLost(Held))
    emit(json::Object{{"event", "job-slots-recovered"},
                      {"slots", int64_t(N)},
                      {"reason", "a run an agent started ended without "
                                 "giving back its job slots"}});
}

bool Executor::takeSlot(unsigned T) {
  if (!Opts.Slots)
    return true;
  if (!ImplicitHolder) {
    ImplicitHolder = T;
    return true;
  }
  if (!Opts.Slots->tryTake())
    return false;
  Tasks[T].HoldsToken = true;
  return true;
}

void Executor::releaseSlot(unsigned T) {
  if (ImplicitHolder == T) {
    ImplicitHolder.reset();
  } else if (Tasks[T].HoldsToken) {
    Tasks[T].HoldsToken = false;
    Opts.Slots->giveBack();
  }
}

std::optional<unsigned> Executor::pickCandidate(unsigned T, double &WaitS) {
  TaskState &TS = Tasks[T];
  const ir::Task &Task = P.Tasks[T];
  double Now = C.now();
  WaitS = 0;
  std::optional<double> Soonest;
  for (unsigned I = TS.Cursor; I < Task.Candidates.size(); ++I) {
    if (TS.Dead[I])
      continue;
    auto It = CoolUntil.find(coolKey(P.Bindings[Task.Candidates[I]]));
    if (It == CoolUntil.end() || It->second <= Now) {
      TS.Cursor = I;
      return I;
    }
    Soonest = std::min(Soonest.value_or(It->second), It->second);
  }
  // Every candidate left is cooling down: wait for the first to be back.
  if (Soonest)
    WaitS = *Soonest - Now;
  return std::nullopt;
}

std::optional<double> runtime::actualCostUsd(const AttemptUsage &U,
                                             const ir::ModelBinding &B) {
  if (U.CostUsd)
    return *U.CostUsd;
  if ((!U.InputTokens && !U.OutputTokens) || !B.Priced)
    return std::nullopt;
  return (U.InputTokens.value_or(0) * B.Cost.InputPerMTok +
          U.OutputTokens.value_or(0) * B.Cost.OutputPerMTok) /
         1e6;
}

// A succeeded attempt whose CLI reported nothing counts at the task's
// estimate: the budget must hold for CLIs without structured usage too.
void Executor::addSpend(unsigned T, const AttemptRecord &A) {
  if (A.ActualUsd)
    SpentUsd += *A.ActualUsd;
  else if (A.Kind == OutcomeKind::Success)
    SpentUsd += P.Tasks[T].CostUsd;
}

std::string runtime::budgetStopReason(double SpentUsd, double BudgetUsd) {
  return fmt::format("budget spent: ${:.4f} of budget.usd ${:.4f}", SpentUsd,
                     BudgetUsd);
}

std::string Executor::budgetStop() const {
  if (!Opts.BudgetUsd || SpentUsd < *Opts.BudgetUsd)
    return "";
  return budgetStopReason(SpentUsd, *Opts.BudgetUsd);
}

void Executor::tryStart(unsigned T) {
  TaskState &TS = Tasks[T];
  if (std::string Why = budgetStop(); !Why.empty()) {
    if (!BudgetReported) {
      BudgetReported = true;
      emit(json::Object{{"event", "budget-spent"},
                        {"spent_usd", std::round(SpentUsd * 1e6) / 1e6},
                        {"budget_usd", *Opts.BudgetUsd}});
    }
    // Nothing new starts; a task between attempts stops too.
    if (TS.Attempts.empty())
      finishTask(T, TaskStatus::Skipped, Why);
    else
      fail(T, Why);
    return;
  }
  double WaitS = 0;
  std::optional<unsigned> I = pickCandidate(T, WaitS);
  if (I) {
    launch(T, P.Tasks[T].Candidates[*I]);
    return;
  }
  if (WaitS > 0) {
    backOff(T, WaitS, "every candidate's provider is cooling down");
    return;
  }
  // The list is used up: start over after a back-off while rounds are left
  // and some candidate may still work.
  bool AnyAlive = llvm::is_contained(TS.Dead, false);
  if (AnyAlive && ++TS.Rounds < Opts.ProviderRounds) {
    TS.Cursor = 0;
    double Base = Opts.BackoffBaseS * double(1u << std::min(TS.Rounds, 10u));
    std::uniform_real_distribution<double> D(0.5, 1.5);
    backOff(T, Base * D(Jitter), "every candidate failed; trying them again");
    return;
  }
  fail(T, "every candidate failed");
}

void Executor::backOff(unsigned T, double Seconds, llvm::StringRef Why) {
  TaskState &TS = Tasks[T];
  setStatus(T, TaskStatus::BackingOff);
  TS.State = "retrying";
  Active.insert(T);
  json::Object E = event("backoff", T);
  E["delay_s"] = std::round(Seconds * 1000) / 1000;
  E["reason"] = Why;
  emit(std::move(E));
  TS.Wait = std::make_unique<asio::steady_timer>(Io, seconds(Seconds));
  TS.Wait->async_wait([this, T](boost::system::error_code EC) {
    if (EC || Stopping)
      return;
    enqueue(T, /*Front=*/false);
    pump();
  });
}

void Executor::runSetup(unsigned T, unsigned Binding) {
  TaskState &TS = Tasks[T];
  setStatus(T, TaskStatus::Running);
  Active.insert(T);
  ++NumRunning;
  TS.TimedOut = false;
  TS.StartedAt = C.now();
  TS.State = "setting up";
  emit(event("setup-start", T));
  // The spec's own commands, as a CI runner runs them: by the shell, which
  // is the user's to command here. The agent never is.
  std::vector<std::string> Shell = {
      "/bin/sh", "-c", "set -e\n" + llvm::join(P.Tasks[T].Session.Setup, "\n")};
  LaunchRequest R = request(T, Binding, &Shell);
  R.Via = ir::PromptVia::Arg;
  R.Prompt.clear();
  R.ReadyPattern.clear();
  R.IdlePattern.clear();
  R.AnswerPath = sessionDir(T) + "/setup.log";
  llvm::Error Err = createParentDirs(R.AnswerPath);
  llvm::Expected<std::unique_ptr<Session>> S =
      Err ? llvm::Expected<std::unique_ptr<Session>>(std::move(Err))
          : L.launch(R, [this, T, Binding](SessionEnd End) {
              onSetupEnd(T, Binding, std::move(End));
            });
  if (!S) {
    SessionEnd End;
    End.ExitCode = 127;
    End.OutputTail = llvm::toString(S.takeError());
    asio::post(Io, [this, T, Binding, End] { onSetupEnd(T, Binding, End); });
    return;
  }
  TS.Live = std::move(*S);
  watchActivity(T);
  armTimeout(T);
}

void Executor::watchActivity(unsigned T) {
  Tasks[T].Live->onActivity([this, T](Activity A) {
    if (A == Activity::Exited)
      return; // attempt-end says it, with how.
    json::Object E = event("session-state", T);
    E["state"] = activityName(A);
    emit(std::move(E));
  });
}

void Executor::onSetupEnd(unsigned T, unsigned Binding, SessionEnd End) {
  TaskState &TS = Tasks[T];
  releaseLane(T);
  --NumRunning;
  Active.erase(T);
  TS.Timer.reset();
  TS.Kill.reset();
  TS.Live.reset();
  bool Halted = Stopping || TS.StopAsked;
  if (Halted || TS.TimedOut || End.ExitCode != 0)
    releaseSlot(T); // Else the agent starts in the same slot.
  json::Object E = event("setup-end", T);
  E["exit_code"] = int64_t(End.ExitCode);
  emit(std::move(E));
  if (Halted) {
    finishTask(T, TaskStatus::Interrupted, Stopping ? "interrupted" : "stopped");
  } else if (TS.TimedOut || End.ExitCode != 0) {
    llvm::StringRef Last = llvm::StringRef(End.OutputTail).rtrim();
    Last = Last.substr(Last.rfind('\n') + 1);
    fail(T, TS.TimedOut ? std::string("session.setup timed out")
                        : fmt::format("session.setup failed (exit {}){}{}",
                                      End.ExitCode, Last.empty() ? "" : ": ",
                                      Last.str()));
  } else {
    TS.SetupDone = true;
    launch(T, Binding);
  }
  pump();
  checkFinished();
}

const RemoteTarget *Executor::machine(llvm::StringRef Name) const {
  for (const RemoteTarget &M : Opts.Remotes)
    if (M.Name == Name)
      return &M;
  return nullptr;
}

const RemoteTarget *Executor::remoteOf(unsigned T) const {
  const std::vector<std::string> &Ms = P.Tasks[T].Machines;
  if (Ms.empty())
    return nullptr;
  return machine(Ms[std::min<size_t>(Tasks[T].Machine, Ms.size() - 1)]);
}

RemoteTarget *Executor::remoteOf(unsigned T) {
  return const_cast<RemoteTarget *>(std::as_const(*this).remoteOf(T));
}

std::string Executor::machineName(unsigned T) const {
  const RemoteTarget *M = remoteOf(T);
  if (!M)
    return P.Tasks[T].Machines.size() > 1 ? "local" : "";
  return M->Name;
}

void Executor::takeLane(unsigned T) {
  const RemoteTarget *M = remoteOf(T);
  if (!M || Tasks[T].Lane >= 0)
    return;
  std::vector<unsigned> &Busy = Lanes[M->Name];
  unsigned L = 0;
  while (L < Busy.size() && Busy[L] >= TasksPerConnection)
    ++L;
  if (L == Busy.size())
    Busy.push_back(0);
  ++Busy[L];
  Tasks[T].Lane = static_cast<int>(L);
}

void Executor::releaseLane(unsigned T) {
  TaskState &TS = Tasks[T];
  if (TS.Lane < 0)
    return;
  if (const RemoteTarget *M = remoteOf(T))
    --Lanes[M->Name][TS.Lane];
  TS.Lane = -1;
}

bool Executor::placeTask(unsigned T) {
  TaskState &TS = Tasks[T];
  const std::vector<std::string> &Ms = P.Tasks[T].Machines;
  std::vector<std::string> Tried;
  for (const RemoteTarget *M = remoteOf(T); M && !M->Down.empty();
       M = remoteOf(T)) {
    Tried.push_back(fmt::format("'{}' ({}): {}", M->Name, M->Host, M->Down));
    if (TS.Machine + 1 >= Ms.size()) {
      releaseSlot(T);
      fail(T, fmt::format("cannot reach machine {}",
                          llvm::join(Tried, "; nor machine ")));
      return false;
    }
    ++TS.Machine;
    json::Object E = event("machine-failover", T);
    E["from"] = M->Name;
    E["to"] = Ms[TS.Machine];
    E["reason"] = M->Down;
    emit(std::move(E));
  }
  return true;
}

void Executor::onUnreachable(unsigned T, llvm::StringRef Why) {
  if (RemoteTarget *M = remoteOf(T)) {
    if (M->Down.empty()) {
      M->Down = Why.str();
      emit(json::Object{{"event", "machine-down"},
                        {"machine", M->Name},
                        {"host", M->Host},
                        {"reason", M->Down}});
    }
  }
  // The model was never tried: the same candidate goes to the next machine.
  TaskState &TS = Tasks[T];
  TS.State = "failing over";
  setStatus(T, TaskStatus::Pending);
  if (placeTask(T))
    enqueue(T, /*Front=*/true);
}

void Executor::launch(unsigned T, unsigned Binding) {
  TaskState &TS = Tasks[T];
  const ir::ModelBinding &B = P.Bindings[Binding];
  if (!placeTask(T))
    return;
  if (!remoteOf(T) && T < Opts.RemoteTrees.size() &&
      !Opts.RemoteTrees[T].Machine.empty() && Opts.MakeTreeHere)
    if (llvm::Error E = Opts.MakeTreeHere(T)) {
      releaseSlot(T);
      fail(T, "cannot make its worktree on this machine: " +
                  llvm::toString(std::move(E)));
      return;
    }
  if (std::string Why = remoteNetRefusal(T, Binding); !Why.empty()) {
    releaseSlot(T);
    fail(T, Why);
    return;
  }
  takeLane(T);
  if (!TS.SetupDone && !P.Tasks[T].Session.Setup.empty()) {
    runSetup(T, Binding);
    return;
  }
  LaunchRequest R = request(T, Binding);
  // The sandbox's network, or no start: fail closed, not a provider's
  // failure to retry.
  if (usesEgress(T))
    if (llvm::Error E = openEgress(T, Binding, R.Env)) {
      releaseLane(T);
      releaseSlot(T);
      fail(T, llvm::toString(std::move(E)));
      return;
    }
  armMesh(T);
  if (TS.Attempts.empty())
    TS.State = "running"; // Else it still says "retrying"/"failing over".
  setStatus(T, TaskStatus::Running);
  Active.insert(T);
  ++NumRunning;
  TS.TimedOut = false;
  TS.StartedAt = C.now();
  json::Object E = event("attempt-start", T);
  E["attempt"] = int64_t(TS.Attempts.size() + 1);
  E["binding"] = B.Id;
  E["provider"] = B.Provider;
  E["model"] = B.Model;
  if (std::string M = machineName(T); !M.empty())
    E["machine"] = M;
  TS.Conversation = R.ConversationId;
  if (!R.ConversationId.empty())
    E["conversation"] = R.ConversationId;
  if (!R.ConversationId.empty() && R.ConversationId == TS.ResumeConversation)
    E["resumed"] = true;
  TS.ResumeConversation.clear(); // once: a failure of it starts afresh
  emit(std::move(E));
  if (llvm::Error Err = createParentDirs(R.AnswerPath)) {
    SessionEnd End;
    End.ExitCode = 127;
    End.OutputTail = llvm::toString(std::move(Err));
    asio::post(Io, [this, T, Binding, End] { onEnd(T, Binding, End); });
    return;
  }
  llvm::Expected<std::unique_ptr<Session>> S = L.launch(
      R, [this, T, Binding](SessionEnd End) { onEnd(T, Binding, End); });
  if (!S) {
    // Could not start: missing program (provider failure) or no PTY left.
    SessionEnd End;
    std::error_code EC = llvm::errorToErrorCode(S.takeError());
    End.ExecFailed = EC == llvm::errc::no_such_file_or_directory ||
                     EC == llvm::errc::permission_denied;
    End.ExitCode = 127;
    End.OutputTail = EC.message();
    if (EC == llvm::errc::argument_list_too_long) {
      // Not the provider's failure, nor an empty answer: the prompt never
      // reached it. Another candidate may take it on standard input.
      End.Undeliverable = fmt::format(
          "the prompt ({} bytes) cannot be passed as a command-line argument "
          "(E2BIG: arguments and environment over the system's limit); "
          "give the provider \"prompt_via\": \"stdin\"",
          P.Tasks[T].Prompt.size());
    }
    asio::post(Io, [this, T, Binding, End] { onEnd(T, Binding, End); });
    return;
  }
  TS.Live = std::move(*S);
  watchActivity(T);
  armTimeout(T);
}

void Executor::armTimeout(unsigned T) {
  double Limit = Opts.TimeoutS > 0 ? Opts.TimeoutS : P.Tasks[T].TimeoutS;
  if (Limit <= 0)
    return;
  TaskState &TS = Tasks[T];
  TS.Timer = std::make_unique<asio::steady_timer>(Io, seconds(Limit));
  TS.Timer->async_wait([this, T](boost::system::error_code EC) {
    TaskState &TS = Tasks[T];
    if (EC || !TS.Live)
      return;
    TS.TimedOut = true;
    TS.State = "timed out";
    stopSession(T);
  });
}

void Executor::stopSession(unsigned T) {
  TaskState &TS = Tasks[T];
  TS.Live->signal(SIGTERM);
  TS.Kill = std::make_unique<asio::steady_timer>(Io, seconds(Opts.KillGraceS));
  TS.Kill->async_wait([this, T](boost::system::error_code EC) {
    if (!EC && Tasks[T].Live)
      Tasks[T].Live->signal(SIGKILL);
  });
}

void Executor::armMesh(unsigned T) {
  unsigned S = P.Tasks[T].Stage;
  const ir::PlanStage &Stage = P.Stages[S];
  MeshState &M = Meshes[S];
  if (Stage.Kind != ir::StageKind::Mesh || M.Armed)
    return;
  M.Armed = true;
  if (Stage.TimeoutS > 0) {
    M.Deadline =
        std::make_unique<asio::steady_timer>(Io, seconds(Stage.TimeoutS));
    M.Deadline->async_wait([this, S](boost::system::error_code EC) {
      if (!EC)
        stopMesh(S, "timeout");
    });
  }
  if (Stage.MaxMessages) {
    M.Baseline = meshMessages(S);
    pollMesh(S);
  }
}

// Mail is delivered by other processes (`connectorc mail send` in the
// sessions) into maildirs: the count is polled, four times a second.
void Executor::pollMesh(unsigned S) {
  MeshState &M = Meshes[S];
  if (M.Stopped)
    return;
  if (meshMessages(S) - M.Baseline >= P.Stages[S].MaxMessages) {
    stopMesh(S, "max_messages");
    return;
  }
  M.Poll = std::make_unique<asio::steady_timer>(Io, seconds(0.25));
  M.Poll->async_wait([this, S](boost::system::error_code EC) {
    if (!EC)
      pollMesh(S);
  });
}

std::uint64_t Executor::meshMessages(unsigned S) const {
  std::uint64_t N = 0;
  for (unsigned T : P.Stages[S].Tasks)
    for (const char *Box : {"new", "cur"}) {
      std::string Dir =
          path(fmt::format("mail/{}/{}", ir::mailboxName(P, T), Box));
      std::error_code EC;
      for (llvm::sys::fs::directory_iterator It(Dir, EC), End;
           !EC && It != End; It.increment(EC))
        ++N;
    }
  return N;
}

void Executor::stopMesh(unsigned S, llvm::StringRef Why) {
  MeshState &M = Meshes[S];
  if (M.Stopped || Stopping)
    return;
  M.Stopped = true;
  M.Poll.reset();
  M.Deadline.reset();
  json::Object E{{"event", "mesh-limit"}, {"stage", P.Stages[S].Name}};
  E["limit"] = Why;
  E["messages"] = int64_t(meshMessages(S) - M.Baseline);
  emit(std::move(E));
  for (unsigned T : P.Stages[S].Tasks) {
    TaskState &TS = Tasks[T];
    if (isFinal(TS.Status))
      continue;
    if (TS.Live) {
      TS.StoppedByStage = true;
      TS.State = "stopping (mesh limit)";
      stopSession(T);
      continue;
    }
    // Not started, or between attempts: it will not run now.
    TS.Wait.reset();
    fail(T, fmt::format("its mesh reached its {} before it answered", Why));
  }
  pump();
  checkFinished();
}

// When every agent of a mesh has ended, its limits have nothing to watch.
void Executor::disarmMeshOf(unsigned T) {
  unsigned S = P.Tasks[T].Stage;
  MeshState &M = Meshes[S];
  if (!M.Armed || M.Stopped)
    return;
  for (unsigned Other : P.Stages[S].Tasks)
    if (!isFinal(Tasks[Other].Status))
      return;
  M.Poll.reset();
  M.Deadline.reset();
}

void Executor::onEnd(unsigned T, unsigned Binding, SessionEnd End) {
  TaskState &TS = Tasks[T];
  const ir::ModelBinding &B = P.Bindings[Binding];
  closeEgress(T);
  --NumRunning;
  releaseSlot(T);
  releaseLane(T);
  recoverSlots();
  Active.erase(T);
  TS.Timer.reset();
  TS.Kill.reset();
  TS.Live.reset();
  Outcome O = !End.Undeliverable.empty()
                  ? Outcome{OutcomeKind::Undeliverable, std::nullopt,
                            End.Undeliverable}
              : End.Watched >= 0
                  ? classifyWatched(B, End.Watched, End.WatchedLine)
                  : classifyAttempt(B, End.ExitCode, End.ExecFailed,
                                    End.OutputTail, End.AnswerEmpty);
  if (TS.StoppedByStage && !TS.TimedOut && !Stopping)
    O = End.AnswerEmpty
            ? Outcome{OutcomeKind::Empty, std::nullopt,
                      "stopped at its mesh's limit before it answered"}
            : Outcome{OutcomeKind::Success, std::nullopt,
                      "stopped at its mesh's limit; its answer so far counts"};
  // A structured output is read and parsed once, for its usage and answer.
  std::optional<StructuredOutput> Out;
  std::string Unreadable;
  if (!B.AnswerJsonField.empty() || !B.Usage.empty()) {
    std::string Tmp = sessionDir(T) + "/output.md.tmp";
    if (auto Buf = llvm::MemoryBuffer::getFile(Tmp))
      Out.emplace((*Buf)->getBuffer());
    else
      Unreadable = "cannot read " + Tmp + ": " + Buf.getError().message();
  }
  AttemptUsage Usage = Out ? Out->usage(B.Usage) : AttemptUsage{};
  if (!Usage.SessionId && !TS.Conversation.empty())
    Usage.SessionId = TS.Conversation; // the id connectorc gave it
  if (O.Kind == OutcomeKind::Success && !B.AnswerJsonField.empty())
    if (std::optional<Outcome> Bad =
            takeStructuredAnswer(T, B, Out ? &*Out : nullptr, Unreadable))
      O = std::move(*Bad);
  // `remote-session` could not reach the task's machine: not the model's
  // failure, nor the task's.
  llvm::StringRef Tail = End.OutputTail;
  size_t Marker = Tail.find(UnreachableMarker);
  if (End.ExitCode == RemoteUnreachableExit && remoteOf(T) &&
      Marker != llvm::StringRef::npos) {
    llvm::StringRef Why = Tail.substr(Marker + strlen(UnreachableMarker));
    O = {OutcomeKind::Unreachable, std::nullopt,
         Why.substr(0, Why.find_first_of("\r\n")).str()};
  }
  if (TS.TimedOut)
    O = {OutcomeKind::Timeout, std::nullopt, "timed out"};
  else if ((Stopping || TS.StopAsked) && O.Kind != OutcomeKind::Success)
    O = {OutcomeKind::Interrupted, std::nullopt,
         Stopping ? "interrupted" : "stopped"};
  AttemptRecord A{B.Id,    B.Provider,   B.Model,      machineName(T),
                  O.Kind,  End.ExitCode, C.now() - TS.StartedAt,
                  O.Detail, {},    std::nullopt};
  json::Object E = event("attempt-end", T);
  E["attempt"] = int64_t(TS.Attempts.size() + 1);
  E["binding"] = A.Binding;
  E["provider"] = A.Provider;
  E["model"] = A.Model;
  E["outcome"] = outcomeName(O.Kind);
  E["exit_code"] = int64_t(A.ExitCode);
  E["duration_s"] = std::round(A.DurationS * 1000) / 1000;
  if (!O.Detail.empty())
    E["detail"] = O.Detail;
  if (!A.Machine.empty())
    E["machine"] = A.Machine;
  A.Usage = std::move(Usage);
  A.ActualUsd = actualCostUsd(A.Usage, B);
  if (!A.Usage.empty()) {
    json::Object U;
    if (A.Usage.InputTokens)
      U["input_tokens"] = *A.Usage.InputTokens;
    if (A.Usage.OutputTokens)
      U["output_tokens"] = *A.Usage.OutputTokens;
    if (A.Usage.CostUsd)
      U["cost_usd"] = *A.Usage.CostUsd;
    if (!U.empty())
      E["usage"] = std::move(U);
    // The CLI's own conversation: a later attempt may resume it.
    if (A.Usage.SessionId)
      E["session_id"] = *A.Usage.SessionId;
  }
  if (A.ActualUsd)
    E["actual_usd"] = std::round(*A.ActualUsd * 1e6) / 1e6;
  addSpend(T, A);
  TS.Attempts.push_back(std::move(A));
  emit(std::move(E));
  if (O.Kind == OutcomeKind::Success)
    succeed(T);
  else if (TS.StoppedByStage && !Stopping)
    fail(T, O.Detail); // The mesh is over: no retry, no failover.
  else if (Stopping || TS.StopAsked)
    finishTask(T, TaskStatus::Interrupted, Stopping ? "interrupted" : "stopped");
  else if (O.Kind == OutcomeKind::Unreachable)
    onUnreachable(T, O.Detail);
  else if (isProviderFailure(O.Kind))
    onProviderFailure(T, O);
  else
    onTaskFailure(T, O);
  pump();
  checkFinished();
}

void Executor::onProviderFailure(unsigned T, const Outcome &O) {
  TaskState &TS = Tasks[T];
  const ir::ModelBinding &B = P.Bindings[P.Tasks[T].Candidates[TS.Cursor]];
  if (neverRetrySameModel(O.Kind) || O.Kind == OutcomeKind::MissingExecutable)
    TS.Dead[TS.Cursor] = true;
  if (coolsDown(O.Kind)) {
    double Wait = O.RetryAfterS.value_or(O.Kind == OutcomeKind::Unavailable
                                             ? Opts.CoolDownS
                                             : Opts.BackoffBaseS);
    double &Until = CoolUntil[coolKey(B)];
    Until = std::max(Until, C.now() + Wait);
  }
  ++TS.Cursor;
  TS.State = "failing over";
  json::Object E = event("failover", T);
  E["from"] = B.Id;
  E["reason"] = outcomeName(O.Kind);
  emit(std::move(E));
  setStatus(T, TaskStatus::Pending);
  enqueue(T, /*Front=*/true);
}

void Executor::onTaskFailure(unsigned T, const Outcome &O) {
  TaskState &TS = Tasks[T];
  if (TS.Retries >= P.Tasks[T].Retries) {
    fail(T, outcomeName(O.Kind));
    return;
  }
  ++TS.Retries;
  TS.State = "retrying";
  json::Object E = event("retry", T);
  E["retry"] = int64_t(TS.Retries);
  E["reason"] = outcomeName(O.Kind);
  emit(std::move(E));
  setStatus(T, TaskStatus::Pending);
  enqueue(T, /*Front=*/true);
}

// With a journal, the answer is flushed with the others of this turn of the
// loop (flushDone), before its task-done record is written: a record on disk
// always has its answer on disk.
void Executor::succeed(unsigned T) {
  if (!Flush) {
    std::vector<llvm::Error> Synced = syncFiles({answerTmp(T)});
    publishAnswer(T, std::move(Synced.front()));
    return;
  }
  Answering.push_back(T);
  scheduleCommit();
}

std::string Executor::answerTmp(unsigned T) const {
  return sessionDir(T) + "/output.md.tmp";
}

void Executor::publishAnswer(unsigned T, llvm::Error Synced) {
  const ir::Task &Task = P.Tasks[T];
  std::string Dir = sessionDir(T);
  std::string Answer = Dir + "/output.md";
  llvm::Error E = std::move(Synced);
  if (!E)
    E = renameFile(answerTmp(T), Answer);
  if (!E)
    E = linkFileAtomic(Answer, path(Task.Output), Dir);
  const ir::PlanStage &S = P.Stages[Task.Stage];
  std::string Record = ir::stageRecordPath(S);
  if (!E && !Record.empty())
    E = writeStageRecord(Task.Stage, T);
  else if (!E && !S.Output.empty() && S.Tasks.back() == T)
    E = linkFileAtomic(Answer, path(S.Output), Dir);
  if (E) {
    fail(T, llvm::toString(std::move(E)));
    return;
  }
  finishTask(T, TaskStatus::Succeeded);
  if (!Task.Until.empty())
    skipRestOfDialogue(T);
}

std::optional<Outcome>
Executor::takeStructuredAnswer(unsigned T, const ir::ModelBinding &B,
                               const StructuredOutput *Out,
                               llvm::StringRef Unreadable) {
  if (!Out)
    return Outcome{OutcomeKind::TaskFailure, std::nullopt, Unreadable.str()};
  std::string Tmp = sessionDir(T) + "/output.md.tmp";
  llvm::Expected<std::string> Answer =
      Out->answer(B.AnswerJsonField, B.AnswerJsonWhere);
  if (!Answer)
    return Outcome{OutcomeKind::TaskFailure, std::nullopt,
                   llvm::toString(Answer.takeError())};
  if (llvm::StringRef(*Answer).trim().empty())
    return Outcome{OutcomeKind::Empty, std::nullopt,
                   "the structured answer is empty"};
  // The whole output stays in the transcript; the answer is the member.
  // succeed() flushes and renames the file, as for any other answer.
  if (llvm::Error E = writeFile(Tmp, *Answer))
    return Outcome{OutcomeKind::TaskFailure, std::nullopt,
                   llvm::toString(std::move(E))};
  return std::nullopt;
}

// A dialogue's transcript or a meeting's minutes, rewritten as each turn
// succeeds (\p Now is the task succeeding), so the file is whole at every
// moment and a resumed run finds it; the stage's output is the record.
llvm::Error Executor::writeStageRecord(unsigned S, unsigned Now) {
  std::string Text = ir::renderStageRecord(
      P, S, [&](unsigned T) -> std::optional<std::string> {
        if (T != Now && Tasks[T].Status != TaskStatus::Succeeded)
          return std::nullopt;
        auto Buf = llvm::MemoryBuffer::getFile(path(P.Tasks[T].Output));
        if (!Buf)
          return std::nullopt;
        return (*Buf)->getBuffer().str();
      });
  const ir::PlanStage &Stage = P.Stages[S];
  std::string Record = path(ir::stageRecordPath(Stage));
  // The temporary file is made in the session's directory: the scratchpad
  // never holds one.
  std::string Tmp = sessionDir(Now) + "/record.tmp";
  if (llvm::Error E = writeFile(Tmp, Text))
    return E;
  if (llvm::Error E = commitFile(Tmp, Record))
    return E;
  if (Stage.Output.empty())
    return llvm::Error::success();
  return copyFileAtomic(Record, path(Stage.Output), sessionDir(Now));
}

void Executor::skipRestOfDialogue(unsigned T) {
  const ir::Task &Task = P.Tasks[T];
  auto Buf = llvm::MemoryBuffer::getFile(path(Task.Output));
  if (!Buf || !(*Buf)->getBuffer().contains(Task.Until))
    return;
  for (unsigned Later : P.Stages[Task.Stage].Tasks)
    if (P.Tasks[Later].Worker > Task.Worker &&
        Tasks[Later].Status == TaskStatus::Pending)
      finishTask(Later, TaskStatus::Skipped, "until");
}

void Executor::fail(unsigned T, llvm::StringRef Why) {
  finishTask(T, TaskStatus::Failed, Why);
}

void Executor::finishTask(unsigned T, TaskStatus S, llvm::StringRef Why) {
  setStatus(T, S);
  Active.erase(T);
  disarmMeshOf(T);
  json::Object E = event("task-done", T);
  // A dialogue's turns after "until" count as done: the stage goes on.
  bool Until = S == TaskStatus::Skipped && Why == "until";
  E["status"] = Until ? "skipped-until" : taskStatusName(S);
  if (!Why.empty() && !Until)
    E["reason"] = Why.str(); // A copy: Why may be a temporary.
  if (S == TaskStatus::Succeeded)
    E["output"] = P.Tasks[T].Output;
  bool Counts = S == TaskStatus::Succeeded || Until;
  // The task counts as done once this record is on disk.
  emit(std::move(E), /*Durable=*/Counts && !Flush);
  if (Counts)
    commitDone(T);
}

void Executor::commitDone(unsigned T) {
  if (!Flush) {
    markDone(T);
    return;
  }
  Committing.push_back(T);
  scheduleCommit();
}

void Executor::scheduleCommit() {
  if (CommitQueued)
    return;
  CommitQueued = true;
  asio::post(Io, [this] { flushDone(); });
}

// Group commit, once per turn of the loop that ended tasks: the answers of
// the tasks that succeeded are flushed together, then put in place and their
// task-done records written, then the journal is flushed once, and only then
// are their dependants released.
void Executor::flushDone() {
  std::vector<unsigned> Answers;
  Answers.swap(Answering);
  std::vector<std::string> Paths;
  for (unsigned T : Answers)
    Paths.push_back(answerTmp(T));
  std::vector<llvm::Error> Synced = syncFiles(Paths);
  for (size_t I = 0; I < Answers.size(); ++I)
    publishAnswer(Answers[I], std::move(Synced[I]));
  Flush();
  std::vector<unsigned> Now;
  Now.swap(Committing);
  CommitQueued = false;
  for (unsigned T : Now)
    markDone(T);
  pump();
  checkFinished();
}

std::optional<unsigned> Executor::taskNamed(llvm::StringRef Id) const {
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    if (P.Tasks[T].Id == Id)
      return T;
  return std::nullopt;
}

Session *Executor::live(unsigned T) const { return Tasks[T].Live.get(); }

llvm::Error Executor::stopTask(unsigned T) {
  TaskState &TS = Tasks[T];
  switch (TS.Status) {
  case TaskStatus::Succeeded:
  case TaskStatus::Failed:
  case TaskStatus::Skipped:
  case TaskStatus::Interrupted:
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "task '" + P.Tasks[T].Id + "' is over (" +
            taskStatusName(TS.Status) + ")");
  case TaskStatus::Running:
    if (llvm::is_contained(Answering, T))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "task '" + P.Tasks[T].Id +
                                         "' is over (its answer is being "
                                         "committed)");
    if (TS.Live) {
      // Once again: at once, as a second Ctrl-C.
      if (TS.StopAsked)
        TS.Live->signal(SIGKILL);
      else
        stopSession(T);
      TS.StopAsked = true;
      return llvm::Error::success();
    }
    break; // Between a setup's end and the agent's start: as pending.
  case TaskStatus::Pending:
  case TaskStatus::BackingOff:
    break;
  }
  TS.StopAsked = true;
  TS.Wait.reset();
  if (TS.Queued) {
    Ready.erase(std::find(Ready.begin(), Ready.end(), T));
    TS.Queued = false;
  }
  if (TS.HoldsToken || ImplicitHolder == T)
    releaseSlot(T);
  finishTask(T, TaskStatus::Interrupted, "stopped");
  pump();
  checkFinished();
  return llvm::Error::success();
}

void Executor::interrupt(bool Now) {
  bool Again = Stopping;
  Stopping = true;
  for (MeshState &M : Meshes) {
    M.Poll.reset();
    M.Deadline.reset();
  }
  for (unsigned T : Ready)
    Tasks[T].Queued = false;
  Ready.clear();
  for (unsigned T : std::vector<unsigned>(Active.begin(), Active.end())) {
    TaskState &TS = Tasks[T];
    if (!TS.Live) {
      TS.Wait.reset(); // A back-off: the task will not run.
      finishTask(T, TaskStatus::Interrupted, "interrupted");
      continue;
    }
    if (Now || Again)
      TS.Live->signal(SIGKILL);
    else
      stopSession(T);
  }
  checkFinished();
}

void Executor::checkFinished() {
  if (Done || NumRunning || !Active.empty() || !Committing.empty() ||
      !Answering.empty() || (!Ready.empty() && !Stopping))
    return;
  Done = true;
  skipUnreached();
  if (Finished)
    Finished();
}

// Whatever never became ready waited on a task that failed (or the run was
// interrupted first).
void Executor::skipUnreached() {
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    if (Tasks[T].Status == TaskStatus::Pending)
      finishTask(T, Stopping ? TaskStatus::Interrupted : TaskStatus::Skipped,
                 Stopping ? "interrupted" : "a dependency failed");
}

std::vector<RunningTask> Executor::running() const {
  std::vector<RunningTask> Out;
  double Now = C.now();
  for (unsigned T : Active) {
    const TaskState &TS = Tasks[T];
    std::string Binding =
        P.Bindings[P.Tasks[T].Candidates[std::min<size_t>(
                       TS.Cursor, P.Tasks[T].Candidates.size() - 1)]]
            .Id;
    bool Waiting =
        TS.Live && TS.Live->activity() == Activity::WaitingForInput;
    Out.push_back({T, Binding, Now - TS.StartedAt,
                   Waiting ? "waiting for input" : TS.State,
                   TS.Live ? TS.Live->lastLine() : ""});
  }
  return Out;
}

void Executor::setStatus(unsigned T, TaskStatus S) {
  --Counts[static_cast<size_t>(Tasks[T].Status)];
  ++Counts[static_cast<size_t>(S)];
  Tasks[T].Status = S;
}

unsigned Executor::finished() const {
  return count(TaskStatus::Succeeded) + count(TaskStatus::Failed) +
         count(TaskStatus::Skipped) + count(TaskStatus::Interrupted);
}

std::string Executor::path(llvm::StringRef RunRelative) const {
  return (Opts.RunDir + "/" + RunRelative).str();
}

std::string Executor::sessionDir(unsigned T) const {
  return path("sessions/" + P.Tasks[T].Id);
}

json::Object Executor::event(llvm::StringRef Kind, unsigned T) const {
  return json::Object{{"event", Kind}, {"task", P.Tasks[T].Id}};
}

void Executor::emit(json::Object E, bool Durable) {
  Sink(std::move(E), Durable);
}
