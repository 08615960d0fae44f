//===- Executor.h - runs a plan's tasks on the event loop --------*- C++
//-*-===//
//
// The scheduler: a task starts when its dependencies (its own and its
// stage's) have succeeded, at most Jobs at once. Each attempt runs one
// candidate binding through the Launcher; the classifier decides what its end
// means: success, a provider failure (next candidate; a provider found down
// cools down for the other tasks too; rate limits back off with jitter) or a
// task failure (retry up to the task's retries). A failed task's dependants
// are skipped. Everything the executor does is reported as an event.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_EXECUTOR_H
#define CONNECTORC_RUNTIME_EXECUTOR_H

#include "ir/Plan.h"
#include "runtime/executor/Classifier.h"
#include "runtime/support/Clock.h"
#include "runtime/sandbox/EgressProxy.h"
#include "runtime/sandbox/NetForwarder.h"
#include "runtime/executor/Nested.h"
#include "runtime/remote/Remote.h"
#include "runtime/session/Session.h"
#include "runtime/executor/StructuredAnswer.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <deque>
#include <functional>
#include <random>
#include <set>

namespace connectorc::runtime {

/// A task's worktree as another machine makes it (remote-session).
struct RemoteTree {
  std::string Machine; ///< where it is made; empty: the task has none there
  std::string Repo;    ///< the local repository (the base commit is in it)
  std::string Branch, Base;
  std::string Rel; ///< its path relative to the machine's workdir
};

/// What the executor needs to know beyond the plan.
struct ExecutorOptions {
  unsigned Jobs = 1;
  std::string RunDir;          ///< absolute
  std::string SelfExe;         ///< "{connectorc}" in argv
  std::string WorkDir;         ///< where agents start (the project root)
  double TimeoutS = 0;         ///< overrides every task's timeout when > 0
  double KillGraceS = 5;       ///< SIGTERM, then SIGKILL after this
  double CoolDownS = 60;       ///< a provider found unavailable is left alone
  double BackoffBaseS = 2;     ///< first back-off after a rate limit
  unsigned ProviderRounds = 3; ///< passes over the candidate list
  /// --simulate-fail: provider name -> failure kind for the sim agent.
  llvm::StringMap<std::string> SimulateFail;
  std::vector<std::string> BaseEnv; ///< the user's environment
  /// Per task (or empty): the directory it works in (its worktree) when not
  /// WorkDir; the session's cwd is taken inside it.
  std::vector<std::string> TaskDirs;
  /// The job slots shared with the runs the agents start (and, in a child
  /// run, with its parent); none: Jobs alone limits.
  JobServer *Slots = nullptr;
  /// What the run may spend (its plan's budget, or less when a parent run
  /// has less left); tasks are told what is left of it.
  std::optional<double> BudgetUsd;
  /// bwrap's absolute path: sandboxed tasks run under it. Empty: the plan
  /// has none, or the user said --no-sandbox.
  std::string Bwrap;
  /// The other machines the tasks are placed on, connected (Remote.h): a
  /// task whose current machine is one of them runs there.
  std::vector<RemoteTarget> Remotes;
  /// bwrap on those machines ("" with --no-sandbox).
  std::string RemoteBwrap;
  /// Per task (or empty): its worktree when it is made on another machine.
  std::vector<RemoteTree> RemoteTrees;
  /// Called before a task with a RemoteTrees entry starts on this machine
  /// instead (its machine could not be reached): makes its worktree here,
  /// at TaskDirs' path (Workspaces::makeHere). An error fails the task.
  std::function<llvm::Error(unsigned Task)> MakeTreeHere;
};

/// A task's state.
enum class TaskStatus {
  Pending,
  Running,
  BackingOff,
  Succeeded,
  Failed,
  Skipped,
  Interrupted
};
llvm::StringRef taskStatusName(TaskStatus S);

/// One attempt as the summary reports it.
struct AttemptRecord {
  std::string Binding, Provider, Model;
  std::string Machine; ///< for a task placed on machines: where it ran
  OutcomeKind Kind = OutcomeKind::Success;
  int ExitCode = 0;
  double DurationS = 0;
  std::string Detail;
  /// What the CLI reported it used (the registry's `usage`), if anything.
  AttemptUsage Usage;
  /// What the attempt cost: the CLI's own figure, else its tokens at the
  /// model's price; unknown when it reported neither.
  std::optional<double> ActualUsd;
};

/// Why nothing more starts once \p SpentUsd reached \p BudgetUsd.
std::string budgetStopReason(double SpentUsd, double BudgetUsd);

/// \p U's cost: the reported one, else the tokens at \p Cost.
std::optional<double> actualCostUsd(const AttemptUsage &U,
                                    const ir::ModelBinding &B);

/// The outcome called \p Name by outcomeName().
std::optional<OutcomeKind> outcomeByName(llvm::StringRef Name);
/// The attempt an "attempt-end" event records.
AttemptRecord attemptFromEvent(const llvm::json::Object &E);

/// A running task, for the progress display.
struct RunningTask {
  unsigned Task;
  std::string Binding;
  double ElapsedS;
  /// "running", "waiting for input", "retrying", "failing over", "timed out"
  std::string State;
  std::string LastLine;
};

/// Receives every event (the journal, --events, the progress display).
/// \p Durable asks for the event to be on disk before returning.
using EventSink = std::function<void(llvm::json::Object Event, bool Durable)>;
/// Makes every event given to the sink so far durable (group commit).
using FlushEvents = std::function<void()>;

/// Runs one plan.
class Executor {
public:
  /// \p Flush makes the journal durable; a task that succeeded counts as
  /// done (its dependants start) only after it ran. Without it, every
  /// task-done event is given to \p Sink as Durable.
  Executor(boost::asio::io_context &Io, const ir::Plan &P, Launcher &L,
           const Clock &C, ExecutorOptions Opts, EventSink Sink,
           FlushEvents Flush = nullptr);
  ~Executor();

  /// Takes the tasks a previous run of this run directory finished (its
  /// journal's events) as done. Call before start().
  void restore(const std::vector<llvm::json::Object> &Events);
  /// Starts what is ready; \p Finished runs once nothing is left to do.
  void start(std::function<void()> Finished);
  /// Ctrl-C: start nothing more and end every session (SIGTERM, then SIGKILL
  /// after the grace period; at once when \p Now).
  void interrupt(bool Now);
  /// `connectorc stop RUN/TASK`: task \p T ends as Ctrl-C ends a run (its
  /// session gets SIGTERM, then SIGKILL; asked again, SIGKILL at once); a
  /// task not started yet never starts. Its dependants are skipped. An
  /// error when it is over already.
  llvm::Error stopTask(unsigned T);
  /// The task whose id is \p Id.
  std::optional<unsigned> taskNamed(llvm::StringRef Id) const;
  /// Task \p T's running session, or nullptr.
  Session *live(unsigned T) const;

  TaskStatus status(unsigned T) const { return Tasks[T].Status; }
  const std::vector<AttemptRecord> &attempts(unsigned T) const {
    return Tasks[T].Attempts;
  }
  bool interrupted() const { return Stopping; }
  /// The running tasks, for the display (bounded by Jobs).
  std::vector<RunningTask> running() const;
  /// Counts by status, for the totals line.
  unsigned count(TaskStatus S) const { return Counts[static_cast<size_t>(S)]; }
  /// Tasks in a final state.
  unsigned finished() const;
  const ir::Plan &plan() const { return P; }
  /// Why tasks were not started because budget.usd was spent, or "".
  /// What task \p T's sandbox refused, "host:port" each once.
  const std::vector<std::string> &denied(unsigned T) const {
    return Tasks[T].Denied;
  }
  std::string budgetStopped() const {
    return BudgetReported ? budgetStop() : "";
  }
  std::optional<double> budget() const { return Opts.BudgetUsd; }
  /// What the run's attempts cost so far.
  double spentUsd() const { return SpentUsd; }
  /// The machine called \p Name, when a task was placed on it.
  const RemoteTarget *machine(llvm::StringRef Name) const;

private:
  struct TaskState {
    TaskStatus Status = TaskStatus::Pending;
    unsigned Waiting = 0;            ///< unfinished prerequisites
    unsigned Cursor = 0;             ///< candidate being tried
    unsigned Retries = 0;            ///< task failures retried so far
    unsigned Rounds = 0;             ///< passes over the candidate list so far
    llvm::SmallVector<bool, 3> Dead; ///< candidates never to try again
    std::vector<AttemptRecord> Attempts;
    std::unique_ptr<Session> Live;
    /// The attempt's timeout, its SIGKILL after the grace, a back-off.
    std::unique_ptr<boost::asio::steady_timer> Timer, Kill, Wait;
    double StartedAt = 0;
    bool TimedOut = false;
    /// Stopped because its mesh reached its message or time limit: an
    /// answer printed so far counts.
    bool StoppedByStage = false;
    /// Stopped by `connectorc stop RUN/TASK`.
    bool StopAsked = false;
    /// The conversation id the running attempt's CLI was given, if any.
    std::string Conversation;
    /// A conversation the killed run's last attempt left unfinished
    /// (restore): the next attempt continues it (interactive resume_args).
    std::string ResumeConversation;
    bool HoldsToken = false; ///< one of the job server's slots
    bool Queued = false; ///< in Ready
    bool SetupDone = false; ///< session.setup ran and succeeded
    unsigned Machine = 0;   ///< index in the task's machine list
    int Lane = -1; ///< its shared connection to that machine, while running
    std::string State = "running";
    /// Its sandbox's egress proxy listener, while an attempt runs; 0: none.
    EgressProxy::ListenerId Egress = 0;
    std::vector<std::string> Denied; ///< what that proxy refused
  };

  /// A mesh stage's supervision: its limits, armed when its first agent
  /// starts.
  struct MeshState {
    bool Armed = false, Stopped = false;
    std::uint64_t Baseline = 0; ///< messages in its mailboxes at the start
    std::unique_ptr<boost::asio::steady_timer> Deadline, Poll;
  };

  void computeCounts();
  /// Adds what attempt \p A of task \p T spent to the run's spend.
  void addSpend(unsigned T, const AttemptRecord &A);
  /// Why no attempt may start now (budget.usd spent), or "".
  std::string budgetStop() const;
  /// Arms the limits of task \p T's stage when it is a mesh with limits.
  void armMesh(unsigned T);
  void pollMesh(unsigned S);
  /// Messages delivered to stage \p S's mailboxes (new/ and cur/).
  std::uint64_t meshMessages(unsigned S) const;
  /// The mesh reached a limit: its running agents are stopped gracefully
  /// (an answer printed so far counts), the ones not started fail.
  void stopMesh(unsigned S, llvm::StringRef Why);
  void disarmMeshOf(unsigned T);
  /// A job slot for task \p T: the run's own when free, else one of the
  /// job server's; always true without a job server.
  bool takeSlot(unsigned T);
  void releaseSlot(unsigned T);
  /// Estimated cost of the tasks started so far.
  double startedCostUsd() const;
  /// SIGTERM to the session now, SIGKILL after the grace period.
  void stopSession(unsigned T);
  void setStatus(unsigned T, TaskStatus S);
  void markDone(unsigned T);
  void endStage(unsigned S);
  void makeReady(unsigned T);
  void enqueue(unsigned T, bool Front);
  void pump();
  void tryStart(unsigned T);
  std::optional<unsigned> pickCandidate(unsigned T, double &WaitS);
  void launch(unsigned T, unsigned Binding);
  /// Task \p T's current machine when it is another one, else nullptr.
  const RemoteTarget *remoteOf(unsigned T) const;
  RemoteTarget *remoteOf(unsigned T);
  /// Moves \p T past the machines found down; false, and the task failed,
  /// when none of its machines is left.
  bool placeTask(unsigned T);
  /// With no session running, puts back job slots a killed sub-run kept.
  void recoverSlots();
  /// The attempt could not reach its machine: the machine is down for every
  /// task, and \p T moves to its next one (or fails).
  void onUnreachable(unsigned T, llvm::StringRef Why);
  /// The machine an event of \p T names ("" for a task placed here).
  std::string machineName(unsigned T) const;
  /// A shared connection with room for task \p T on its machine (a new
  /// one when every open one is full); releaseLane gives it back.
  void takeLane(unsigned T);
  void releaseLane(unsigned T);
  /// Per machine: tasks running on each of its shared connections.
  llvm::StringMap<std::vector<unsigned>> Lanes;
  /// session.setup: its commands, in the task's directory and terminal
  /// (output in the transcript), before the task's first attempt.
  void runSetup(unsigned T, unsigned Binding);
  void onSetupEnd(unsigned T, unsigned Binding, SessionEnd End);
  void armTimeout(unsigned T);
  /// Journals each change of task \p T's session's activity.
  void watchActivity(unsigned T);
  void onEnd(unsigned T, unsigned Binding, SessionEnd End);
  void onProviderFailure(unsigned T, const Outcome &O);
  void onTaskFailure(unsigned T, const Outcome &O);
  void succeed(unsigned T);
  /// Task \p T's answer file before it is committed.
  std::string answerTmp(unsigned T) const;
  /// Puts task \p T's answer, flushed (or not: \p Synced says why), in
  /// place (output.md, the scratchpad, the stage's record) and ends the
  /// task: succeeded, or failed when that could not be done.
  void publishAnswer(unsigned T, llvm::Error Synced);
  /// For a binding with structured output: replaces the answer file with
  /// the answer member of the JSON the program printed (\p Out, or null
  /// when the output could not be read, for the reason \p Unreadable). A
  /// failure outcome when there is none (or it is empty).
  std::optional<Outcome> takeStructuredAnswer(unsigned T,
                                              const ir::ModelBinding &B,
                                              const StructuredOutput *Out,
                                              llvm::StringRef Unreadable);
  void fail(unsigned T, llvm::StringRef Why);
  void finishTask(unsigned T, TaskStatus S, llvm::StringRef Why = "");
  void skipRestOfDialogue(unsigned T);
  llvm::Error writeStageRecord(unsigned S, unsigned Now);
  void backOff(unsigned T, double Seconds, llvm::StringRef Why);
  void checkFinished();
  void commitDone(unsigned T);
  /// Queues flushDone, once until it has run.
  void scheduleCommit();
  void flushDone();
  void skipUnreached();

  /// What attempt \p T with \p Binding starts; \p Command, when given,
  /// runs in place of the binding's program (session.setup's shell). On
  /// another machine, it is `connectorc remote-session` around the agent.
  /// The conversation task \p T's next attempt on \p Binding continues
  /// (ResumeConversation, when the binding can resume one); "" otherwise.
  llvm::StringRef resumedConversation(unsigned T, unsigned Binding) const;
  LaunchRequest request(unsigned T, unsigned Binding,
                        const std::vector<std::string> *Command = nullptr) const;
  std::string path(llvm::StringRef RunRelative) const;
  std::string sessionDir(unsigned T) const;
  /// Whether task \p T runs here in a sandbox whose network is its
  /// provider's API through the egress proxy.
  bool usesEgress(unsigned T) const;
  /// What task \p T's agent with binding \p Binding and environment \p Env
  /// may reach: the provider's endpoints, the spec's hosts, the base URLs
  /// it was given; and the loopback ones among them as forwards.
  EgressAllowlist egressAllowlist(unsigned T, unsigned Binding,
                                  const std::vector<std::string> &Env,
                                  std::vector<NetForward> *Forwards) const;
  /// Where the proxy listens for task \p T (a private directory of this
  /// process's).
  std::string egressSocket(unsigned T) const;
  /// Starts (or restarts) task \p T's proxy listener; an error when it
  /// cannot: the task does not start then.
  llvm::Error openEgress(unsigned T, unsigned Binding,
                         const std::vector<std::string> &Env);
  void closeEgress(unsigned T);
  /// Why task \p T cannot start on its machine with \p Binding: its sandbox
  /// would have its provider's network there, which only this machine can
  /// give for now ("" when it can start: here, or nothing to allow).
  std::string remoteNetRefusal(unsigned T, unsigned Binding) const;
  llvm::json::Object event(llvm::StringRef Kind, unsigned T) const;
  void emit(llvm::json::Object E, bool Durable = false);

  boost::asio::io_context &Io;
  std::unique_ptr<EgressProxy> Egress; ///< made for the first that needs it
  const ir::Plan &P;
  Launcher &L;
  const Clock &C;
  ExecutorOptions Opts;
  EventSink Sink;
  FlushEvents Flush;
  /// Tasks whose task-done record awaits the next journal flush.
  std::vector<unsigned> Committing;
  /// Tasks that succeeded whose answer awaits the next group commit (it is
  /// flushed, then their task-done record is written).
  std::vector<unsigned> Answering;
  bool CommitQueued = false;
  std::vector<TaskState> Tasks;
  std::vector<std::vector<unsigned>> Dependants;      ///< by task
  std::vector<std::vector<unsigned>> StageDependants; ///< by stage
  std::vector<unsigned> StageLeft;
  std::vector<MeshState> Meshes; ///< by stage
  std::optional<unsigned> ImplicitHolder; ///< the task in the run's own slot
  std::deque<unsigned> Ready;
  std::set<unsigned> Active; ///< Running or BackingOff
  unsigned NumRunning = 0;
  std::array<unsigned, 7> Counts{};  ///< by TaskStatus
  llvm::StringMap<double> CoolUntil; ///< provider -> Clock::now() time
  /// What the run's attempts cost so far (addSpend), against BudgetUsd.
  double SpentUsd = 0;
  bool BudgetReported = false;
  std::mt19937 Jitter{std::random_device{}()};
  bool Stopping = false, Done = false;
  std::function<void()> Finished;
};

} // namespace connectorc::runtime

#endif
