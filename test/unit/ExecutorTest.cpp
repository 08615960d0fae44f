//===- ExecutorTest.cpp - the scheduler, with a fake launcher -------------===//
#include "runtime/executor/Executor.h"
#include "runtime/executor/Journal.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <map>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace json = llvm::json;

namespace {
/// A clock that moves a millisecond each time it is read, so that short
/// cool-downs pass however fast the test runs.
class FakeClock : public Clock {
public:
  double now() const override { return Now += 0.001; }
  std::string utcStamp() const override { return "2026-01-01T00:00:00.000Z"; }
  mutable double Now = 1000;
};

/// What a fake session does: print \p Answer and exit with \p Exit.
struct Script {
  int Exit = 0;
  std::string Answer = "an answer";
  int Watched = -1; ///< the watch pattern that ended it, as PtySession says
};

class FakeSession : public Session {
public:
  void signal(int) override {}
  std::string lastLine() const override { return ""; }
};

/// Ends every session on the next turn of the loop with the script for
/// its task's next attempt (success when none is left).
class FakeLauncher : public Launcher {
public:
  explicit FakeLauncher(asio::io_context &Io) : Io(Io) {}
  llvm::Expected<std::unique_ptr<Session>> launch(const LaunchRequest &R,
                                                  SessionDone Done) override {
    std::string Task = envOf(R, "CONNECTOR_TASK");
    Launched.push_back(Task + "@" + R.Argv.front());
    if (OnLaunch)
      OnLaunch(Task);
    Requests.push_back(R);
    MaxRunning = std::max(MaxRunning, ++Running);
    Script S;
    if (!Scripts[Task].empty()) {
      S = Scripts[Task].front();
      Scripts[Task].erase(Scripts[Task].begin());
    }
    asio::post(Io, [this, R, S, Done] {
      --Running;
      {
        std::error_code EC;
        llvm::raw_fd_ostream OS(R.AnswerPath, EC);
        OS << S.Answer;
      }
      SessionEnd End;
      End.ExitCode = S.Exit;
      End.OutputTail = S.Answer;
      End.AnswerEmpty = S.Answer.empty();
      End.Watched = S.Watched;
      End.WatchedLine = S.Watched >= 0 ? S.Answer : "";
      Done(std::move(End));
    });
    return std::make_unique<FakeSession>();
  }
  static std::string envOf(const LaunchRequest &R, llvm::StringRef Name) {
    for (const std::string &E : R.Env)
      if (llvm::StringRef(E).startswith((Name + "=").str()))
        return E.substr(Name.size() + 1);
    return "";
  }
  asio::io_context &Io;
  std::map<std::string, std::vector<Script>> Scripts;
  std::vector<std::string> Launched;
  std::vector<LaunchRequest> Requests;
  unsigned Running = 0, MaxRunning = 0;
  std::function<void(const std::string &Task)> OnLaunch;
};

ir::ModelBinding binding(llvm::StringRef Provider, llvm::StringRef Exe) {
  ir::ModelBinding B;
  B.Id = (Provider + "/m").str();
  B.Provider = Provider.str();
  B.Model = "m";
  B.Argv = {Exe.str(), "{prompt}"};
  B.Failures = {{"unavailable", "service unavailable", {}, false},
                {"rate-limited", "429 too many requests", {}, false},
                {"overloaded", "Retrying after 529", {}, true},
                {"auth", "", {77}, false}};
  return B;
}

/// A plan of stages; stage I depends on stage I-1; every task has the
/// candidates \p Cands.
ir::Plan plan(std::vector<unsigned> Workers, std::vector<unsigned> Cands = {0},
              unsigned Retries = 0) {
  ir::Plan P;
  P.Workflow = "test";
  P.Bindings = {binding("alpha", "alpha-cli"), binding("beta", "beta-cli")};
  for (unsigned S = 0; S < Workers.size(); ++S) {
    ir::PlanStage St;
    St.Name = "s" + std::to_string(S);
    if (S)
      St.DependsOn = {S - 1};
    for (unsigned W = 1; W <= Workers[S]; ++W) {
      ir::Task T;
      T.Stage = S;
      T.Worker = W;
      T.WorkerName = std::to_string(W);
      T.Id = St.Name + "/" + T.WorkerName;
      T.Prompt = "do " + T.Id;
      T.Candidates.assign(Cands.begin(), Cands.end());
      T.Output = "scratchpad/" + T.Id + ".md";
      T.Retries = Retries;
      T.Machines = {"local"};
      St.Tasks.push_back(P.Tasks.size());
      P.Tasks.push_back(std::move(T));
    }
    P.Stages.push_back(std::move(St));
  }
  EXPECT_EQ(ir::verifyPlan(P), "");
  return P;
}

class ExecutorTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> Dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("executor", Dir));
    RunDir = std::string(Dir);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(RunDir); }

  /// Runs \p P to the end; returns the executor for inspection.
  std::unique_ptr<Executor> run(const ir::Plan &P, unsigned Jobs = 4,
                                const std::vector<json::Object> &Past = {}) {
    O.Jobs = Jobs;
    O.RunDir = RunDir;
    O.BackoffBaseS = 0.001;
    auto X = std::make_unique<Executor>(
        Io, P, L, Clock, O,
        [this](json::Object E, bool) {
          if (OnEvent)
            OnEvent(E);
          Events.push_back(std::move(E));
        },
        FlushFn);
    X->restore(Past);
    bool Finished = false;
    X->start([&] { Finished = true; });
    Io.run();
    EXPECT_TRUE(Finished);
    return X;
  }
  std::string answer(llvm::StringRef RunRelative) {
    auto Buf = llvm::MemoryBuffer::getFile(RunDir + "/" + RunRelative);
    return Buf ? (*Buf)->getBuffer().str() : "<missing>";
  }

  ExecutorOptions O;
  FlushEvents FlushFn;
  std::function<void(const json::Object &)> OnEvent;
  asio::io_context Io;
  FakeLauncher L{Io};
  FakeClock Clock;
  std::string RunDir;
  std::vector<json::Object> Events;
};
} // namespace

TEST_F(ExecutorTest, StagesRunInOrderAndAnswersLand) {
  ir::Plan P = plan({2, 1});
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(L.Launched.size(), 3u);
  EXPECT_EQ(L.Launched[2], "s1/1@alpha-cli");
  EXPECT_EQ(X->count(TaskStatus::Succeeded), 3u);
  EXPECT_EQ(answer("scratchpad/s0/1.md"), "an answer");
  EXPECT_EQ(answer("sessions/s1/1/output.md"), "an answer");
  // The second stage reads the first's answers; the prompt is an argument.
  EXPECT_EQ(FakeLauncher::envOf(L.Requests[2], "CONNECTOR_INPUTS"),
            RunDir + "/scratchpad/s0/1.md:" + RunDir + "/scratchpad/s0/2.md");
  EXPECT_EQ(L.Requests[2].Argv[1], "do s1/1");
}

TEST_F(ExecutorTest, AtMostJobsAtOnce) {
  ir::Plan P = plan({7});
  run(P, /*Jobs=*/2);
  EXPECT_EQ(L.Launched.size(), 7u);
  EXPECT_EQ(L.MaxRunning, 2u);
}

TEST_F(ExecutorTest, ProviderFailureFailsOver) {
  ir::Plan P = plan({1}, {0, 1});
  L.Scripts["s0/1"] = {{1, "error: service unavailable"}};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(L.Launched.size(), 2u);
  EXPECT_EQ(L.Launched[1], "s0/1@beta-cli");
  ASSERT_EQ(X->attempts(0).size(), 2u);
  EXPECT_EQ(X->attempts(0)[0].Kind, OutcomeKind::Unavailable);
  EXPECT_EQ(X->attempts(0)[1].Kind, OutcomeKind::Success);
  EXPECT_EQ(X->status(0), TaskStatus::Succeeded);
}

TEST_F(ExecutorTest, UnavailableProviderIsSkippedByLaterTasks) {
  ir::Plan P = plan({1, 1}, {0, 1});
  L.Scripts["s0/1"] = {{1, "service unavailable"}};
  run(P);
  // s1/1 goes straight to beta: alpha is cooling down.
  ASSERT_EQ(L.Launched.size(), 3u);
  EXPECT_EQ(L.Launched[2], "s1/1@beta-cli");
}

TEST_F(ExecutorTest, EmptyAnswerIsAProviderFailure) {
  ir::Plan P = plan({1}, {0, 1});
  L.Scripts["s0/1"] = {{0, ""}};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(X->attempts(0).size(), 2u);
  EXPECT_EQ(X->attempts(0)[0].Kind, OutcomeKind::Empty);
}

TEST_F(ExecutorTest, AuthFailureIsNeverRetriedOnTheSameModel) {
  ir::Plan P = plan({1}, {0});
  L.Scripts["s0/1"] = {{77, "not logged in"}};
  std::unique_ptr<Executor> X = run(P);
  EXPECT_EQ(L.Launched.size(), 1u);
  EXPECT_EQ(X->status(0), TaskStatus::Failed);
}

TEST_F(ExecutorTest, TaskFailureRetriesThenSkipsDependants) {
  ir::Plan P = plan({1, 2}, {0}, /*Retries=*/2);
  L.Scripts["s0/1"] = {{1, "boom"}, {1, "boom"}, {1, "boom"}};
  std::unique_ptr<Executor> X = run(P);
  EXPECT_EQ(L.Launched.size(), 3u);
  EXPECT_EQ(X->status(0), TaskStatus::Failed);
  EXPECT_EQ(X->status(1), TaskStatus::Skipped);
  EXPECT_EQ(X->status(2), TaskStatus::Skipped);
  EXPECT_EQ(X->attempts(0).size(), 3u);
}

TEST_F(ExecutorTest, RetrySucceeds) {
  ir::Plan P = plan({1}, {0}, /*Retries=*/1);
  L.Scripts["s0/1"] = {{1, "boom"}};
  std::unique_ptr<Executor> X = run(P);
  EXPECT_EQ(X->status(0), TaskStatus::Succeeded);
  EXPECT_EQ(X->attempts(0).size(), 2u);
}

TEST_F(ExecutorTest, RestoredTasksAreNotRunAgain) {
  ir::Plan P = plan({1, 1});
  // A previous run finished s0/1 and wrote its answer.
  std::error_code EC =
      llvm::sys::fs::create_directories(RunDir + "/scratchpad/s0");
  ASSERT_FALSE(EC);
  {
    llvm::raw_fd_ostream OS(RunDir + "/scratchpad/s0/1.md", EC);
    OS << "earlier";
  }
  std::vector<json::Object> Past;
  Past.push_back(json::Object{{"event", "attempt-end"},
                              {"task", "s0/1"},
                              {"binding", "alpha/m"},
                              {"outcome", "success"}});
  Past.push_back(json::Object{
      {"event", "task-done"}, {"task", "s0/1"}, {"status", "succeeded"}});
  std::unique_ptr<Executor> X = run(P, 4, Past);
  ASSERT_EQ(L.Launched.size(), 1u);
  EXPECT_EQ(L.Launched[0], "s1/1@alpha-cli");
  EXPECT_EQ(X->attempts(0).size(), 1u);
  EXPECT_EQ(answer("scratchpad/s0/1.md"), "earlier");
}

TEST_F(ExecutorTest, DoneIsRecordedDurablyAfterTheAnswer) {
  ir::Plan P = plan({1});
  run(P);
  auto Done = llvm::find_if(Events, [](const json::Object &E) {
    return eventString(E, "event") == "task-done";
  });
  ASSERT_NE(Done, Events.end());
  EXPECT_EQ(eventString(*Done, "status"), "succeeded");
  EXPECT_EQ(eventString(*Done, "output"), "scratchpad/s0/1.md");
}

TEST_F(ExecutorTest, RateLimitBacksOffAndTriesAgain) {
  ir::Plan P = plan({1}, {0});
  L.Scripts["s0/1"] = {{1, "error: 429 too many requests"}};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(X->attempts(0).size(), 2u);
  EXPECT_EQ(X->attempts(0)[0].Kind, OutcomeKind::RateLimited);
  EXPECT_EQ(X->status(0), TaskStatus::Succeeded);
  EXPECT_TRUE(llvm::any_of(Events, [](const json::Object &E) {
    return eventString(E, "event") == "backoff";
  }));
}

TEST_F(ExecutorTest, ProviderRoundsAreBounded) {
  ir::Plan P = plan({1}, {0});
  O.ProviderRounds = 3;
  L.Scripts["s0/1"] = {{1, "429 too many requests"},
                       {1, "429 too many requests"},
                       {1, "429 too many requests"},
                       {1, "429 too many requests"}};
  std::unique_ptr<Executor> X = run(P);
  EXPECT_EQ(X->attempts(0).size(), 3u);
  EXPECT_EQ(X->status(0), TaskStatus::Failed);
}

TEST_F(ExecutorTest, SimulatedBindingsGetTheSimVariables) {
  ir::Plan P = plan({1, 1}, {0});
  P.Bindings[0].Simulated = true;
  P.Bindings[0].Argv = {"{connectorc}", "sim-agent"};
  P.Bindings[0].Via = ir::PromptVia::Stdin;
  O.SelfExe = "/opt/bin/connectorc";
  O.SimulateFail["alpha"] = "rate-limit";
  O.SimulateFail["beta"] = "auth";
  run(P);
  ASSERT_EQ(L.Requests.size(), 2u);
  const LaunchRequest &R = L.Requests[0];
  EXPECT_EQ(R.Argv[0], "/opt/bin/connectorc");
  EXPECT_EQ(R.Prompt, "do s0/1");
  EXPECT_EQ(FakeLauncher::envOf(R, "CONNECTOR_SIM_AS"), "alpha/m");
  EXPECT_EQ(FakeLauncher::envOf(R, "CONNECTOR_SIM_FAIL"), "rate-limit");
}

TEST_F(ExecutorTest, UnsimulatedBindingsGetNoSimVariables) {
  ir::Plan P = plan({1}, {0});
  O.SimulateFail["alpha"] = "rate-limit";
  run(P);
  ASSERT_EQ(L.Requests.size(), 1u);
  EXPECT_EQ(FakeLauncher::envOf(L.Requests[0], "CONNECTOR_SIM_FAIL"), "");
  EXPECT_EQ(FakeLauncher::envOf(L.Requests[0], "CONNECTOR_SIM_AS"), "");
}

TEST_F(ExecutorTest, DependantsStartOnlyAfterTheJournalFlush) {
  ir::Plan P = plan({3, 1});
  std::vector<size_t> LaunchesAtFlush;
  FlushFn = [&] { LaunchesAtFlush.push_back(L.Launched.size()); };
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(L.Launched.size(), 4u);
  // The three first tasks end in the same turn of the loop: one flush for
  // their three records, before s1/1 starts; then one for s1/1.
  ASSERT_EQ(LaunchesAtFlush.size(), 2u);
  EXPECT_EQ(LaunchesAtFlush[0], 3u);
  EXPECT_EQ(LaunchesAtFlush[1], 4u);
  EXPECT_EQ(X->count(TaskStatus::Succeeded), 4u);
}

TEST_F(ExecutorTest, AnswersAreCommittedWithTheirRecordsInOneGroup) {
  ir::Plan P = plan({3, 1});
  unsigned Flushes = 0, Recorded = 0, RecordedBeforeAnswer = 0;
  FlushFn = [&] { ++Flushes; };
  OnEvent = [&](const json::Object &E) {
    if (eventString(E, "event") != "task-done")
      return;
    ++Recorded;
    // The answer was flushed and renamed before its record was written.
    std::string Dir = RunDir + "/sessions/" + eventString(E, "task").str();
    if (!llvm::sys::fs::exists(Dir + "/output.md") ||
        llvm::sys::fs::exists(Dir + "/output.md.tmp") ||
        !llvm::sys::fs::exists(RunDir + "/" + eventString(E, "output").str()))
      ++RecordedBeforeAnswer;
  };
  std::unique_ptr<Executor> X = run(P);
  EXPECT_EQ(Recorded, 4u);
  EXPECT_EQ(RecordedBeforeAnswer, 0u);
  // One group commit for the three tasks of the first stage, one for s1/1.
  EXPECT_EQ(Flushes, 2u);
  EXPECT_EQ(X->count(TaskStatus::Succeeded), 4u);
}

/// A machine reached through a shared connection, for the remote tests.
RemoteTarget farMachine() {
  RemoteTarget M;
  M.Name = "far";
  M.Host = "far.example";
  M.Prefix = {"/usr/bin/ssh", "-o", "ControlPath=/ctl/%C", "far.example", "--"};
  M.Workdir = "/w";
  M.Root = "/w/.connector/remote/run";
  M.Connectorc = "/opt/connectorc";
  return M;
}

/// The value after \p Flag in \p R's argv ("" when absent).
std::string argAfter(const LaunchRequest &R, llvm::StringRef Flag) {
  for (size_t I = 0; I + 1 < R.Argv.size(); ++I)
    if (R.Argv[I] == Flag)
      return R.Argv[I + 1];
  return "";
}

TEST_F(ExecutorTest, RemoteTaskRunsThroughRemoteSessionWithRemotePaths) {
  ir::Plan P = plan({1, 1});
  P.Tasks[1].Machines = {"far"};
  O.SelfExe = "/opt/bin/connectorc";
  O.Remotes = {farMachine()};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(L.Requests.size(), 2u);
  const LaunchRequest &R = L.Requests[1];
  EXPECT_EQ(R.Argv[0], "/opt/bin/connectorc");
  EXPECT_EQ(R.Argv[1], "remote-session");
  EXPECT_EQ(argAfter(R, "--task"), "s1/1");
  EXPECT_EQ(argAfter(R, "--remote-run"), "/w/.connector/remote/run");
  EXPECT_EQ(argAfter(R, "--input"), "scratchpad/s0/1.md");
  EXPECT_EQ(argAfter(R, "--own"), "scratchpad/s1/1.md");
  // The agent's environment is the remote's, on the command line there;
  // nothing of the local environment is sent.
  std::string Line = argAfter(R, "--command");
  EXPECT_NE(Line.find("cd '/w' && env"), std::string::npos) << Line;
  EXPECT_NE(Line.find("'CONNECTOR_INPUTS=/w/.connector/remote/run/"
                      "scratchpad/s0/1.md'"),
            std::string::npos)
      << Line;
  EXPECT_NE(Line.find("'alpha-cli' 'do s1/1'"), std::string::npos) << Line;
  EXPECT_EQ(R.Argv.back(), "--");
  EXPECT_EQ(X->attempts(1).front().Machine, "far");
  EXPECT_EQ(X->attempts(0).front().Machine, "");
}

TEST_F(ExecutorTest, RemoteTasksSpreadOverSharedConnections) {
  ir::Plan P = plan({20});
  for (ir::Task &T : P.Tasks)
    T.Machines = {"far"};
  O.Remotes = {farMachine()};
  run(P, /*Jobs=*/20);
  ASSERT_EQ(L.Requests.size(), 20u);
  std::map<std::string, unsigned> PerSocket;
  for (const LaunchRequest &R : L.Requests)
    for (const std::string &A : R.Argv)
      if (llvm::StringRef(A).startswith("ControlPath="))
        ++PerSocket[A];
  // At most TasksPerConnection sessions on one connection (sshd allows 10).
  EXPECT_EQ(PerSocket["ControlPath=/ctl/%C"], TasksPerConnection);
  EXPECT_EQ(PerSocket["ControlPath=/ctl/%C-1"], TasksPerConnection);
  EXPECT_EQ(PerSocket["ControlPath=/ctl/%C-2"], 20 - 2 * TasksPerConnection);
}

TEST_F(ExecutorTest, UnreachableMachineFailsOverToTheNextOne) {
  ir::Plan P = plan({1});
  P.Tasks[0].Machines = {"far", "local"};
  O.Remotes = {farMachine()};
  // A remote session carries no CONNECTOR_TASK here: its script is "".
  L.Scripts[""] = {{RemoteUnreachableExit,
                    std::string(UnreachableMarker) +
                        "ssh: connect to host far.example port 22: "
                        "Connection refused\n"}};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(L.Launched.size(), 2u);
  EXPECT_EQ(L.Launched[1], "s0/1@alpha-cli");
  ASSERT_EQ(X->attempts(0).size(), 2u);
  EXPECT_EQ(X->attempts(0)[0].Kind, OutcomeKind::Unreachable);
  EXPECT_EQ(X->attempts(0)[0].Machine, "far");
  EXPECT_EQ(X->attempts(0)[1].Machine, "local");
  EXPECT_EQ(X->status(0), TaskStatus::Succeeded);
  auto Down = llvm::count_if(Events, [](const json::Object &E) {
    return E.getString("event") == llvm::StringRef("machine-down");
  });
  EXPECT_EQ(Down, 1);
}

TEST_F(ExecutorTest, MachineDownAtTheStartIsNeverTried) {
  ir::Plan P = plan({2});
  P.Tasks[0].Machines = {"far", "local"};
  P.Tasks[1].Machines = {"far"};
  RemoteTarget M = farMachine();
  M.Down = "Connection refused";
  O.Remotes = {M};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(L.Launched.size(), 1u);
  EXPECT_EQ(L.Launched[0], "s0/1@alpha-cli");
  EXPECT_EQ(X->status(0), TaskStatus::Succeeded);
  EXPECT_EQ(X->status(1), TaskStatus::Failed);
  std::string Reason;
  for (const json::Object &E : Events)
    if (E.getString("event") == llvm::StringRef("task-done") &&
        E.getString("task") == llvm::StringRef("s0/2"))
      Reason = E.getString("reason").getValueOr("").str();
  EXPECT_EQ(Reason,
            "cannot reach machine 'far' (far.example): Connection refused");
}

TEST_F(ExecutorTest, SlotsKeptByAKilledSubRunComeBack) {
  // --jobs 3: the implicit slot and two bytes in the pipe. The first task's
  // agent starts a run that takes both bytes and is SIGKILLed (it never
  // gives them back); once no session runs, they are put back, so the
  // three tasks of the next stage run at once.
  llvm::Expected<std::unique_ptr<JobServer>> Pool = JobServer::create(Io, 3);
  ASSERT_TRUE(bool(Pool)) << llvm::toString(Pool.takeError());
  O.Slots = Pool->get();
  L.OnLaunch = [&](const std::string &Task) {
    if (Task == "s0/1") {
      EXPECT_TRUE((*Pool)->tryTake());
      EXPECT_TRUE((*Pool)->tryTake());
    } else if (Task == "s1/1") {
      L.MaxRunning = 0; // Count the second stage alone.
    }
  };
  ir::Plan P = plan({1, 3});
  std::unique_ptr<Executor> X = run(P, /*Jobs=*/3);
  EXPECT_EQ(X->count(TaskStatus::Succeeded), 4u);
  EXPECT_EQ(L.MaxRunning, 3u);
  auto Recovered = llvm::find_if(Events, [](const json::Object &E) {
    return E.getString("event").getValueOr("") == "job-slots-recovered";
  });
  ASSERT_NE(Recovered, Events.end());
  EXPECT_EQ(Recovered->getInteger("slots").getValueOr(0), 2);
  // Every slot is free again at the end, and no more than there were.
  EXPECT_EQ((*Pool)->recoverLost(0), 0u);
  unsigned Free = 0;
  while ((*Pool)->tryTake())
    ++Free;
  EXPECT_EQ(Free, 2u);
}

TEST_F(ExecutorTest, AFailureSeenWhileRunningFailsOver) {
  ir::Plan P = plan({1}, {0, 1});
  // PtySession ended it on its watch pattern 0 ("Retrying after 529").
  L.Scripts["s0/1"] = {{143, "API Error: 529 Overloaded. Retrying after 529", 0}};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(L.Requests.size(), 2u);
  EXPECT_EQ(L.Requests[0].WatchPatterns,
            std::vector<std::string>{"Retrying after 529"});
  ASSERT_EQ(X->attempts(0).size(), 2u);
  EXPECT_EQ(X->attempts(0)[0].Kind, OutcomeKind::Overloaded);
  EXPECT_EQ(X->attempts(0)[0].Detail,
            "API Error: 529 Overloaded. Retrying after 529 (seen while it ran)");
  EXPECT_EQ(L.Launched[1], "s0/1@beta-cli");
}

TEST_F(ExecutorTest, RegistryEnvironmentYieldsToTheUsers) {
  ir::Plan P = plan({1});
  P.Bindings[0].SetEnv = {{"CLI_MAX_RETRIES", "0"}, {"CLI_QUIET", "1"}};
  O.BaseEnv = {"CLI_MAX_RETRIES=7"};
  run(P);
  ASSERT_EQ(L.Requests.size(), 1u);
  EXPECT_EQ(FakeLauncher::envOf(L.Requests[0], "CLI_MAX_RETRIES"), "7");
  EXPECT_EQ(FakeLauncher::envOf(L.Requests[0], "CLI_QUIET"), "1");
}

TEST_F(ExecutorTest, UsageIsRecordedAndTheBudgetStopsNewTasks) {
  ir::Plan P = plan({1, 1, 1});
  ir::ModelBinding &B = P.Bindings[0];
  B.AnswerJsonField = "result";
  B.Usage.InputTokens = "/usage/input_tokens";
  B.Usage.OutputTokens = "/usage/output_tokens";
  B.Usage.SessionId = "/session_id";
  B.Cost = {10, 100}; // USD per million tokens
  std::string Out = "banner\n{\"result\":\"ok\",\"session_id\":\"c-1\","
                    "\"usage\":{\"input_tokens\":1000,\"output_tokens\":100}}\n";
  for (const char *T : {"s0/1", "s1/1", "s2/1"})
    L.Scripts[T] = {{0, Out}};
  O.BudgetUsd = 0.025; // one attempt costs 0.02
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(X->attempts(0).size(), 1u);
  const AttemptRecord &A = X->attempts(0)[0];
  EXPECT_EQ(A.Usage.InputTokens, 1000);
  EXPECT_EQ(A.Usage.SessionId, "c-1");
  ASSERT_TRUE(A.ActualUsd);
  EXPECT_NEAR(*A.ActualUsd, 0.02, 1e-12);
  EXPECT_EQ(answer("scratchpad/s0/1.md"), "ok");
  // 0.02 spent: s1/1 may start; then 0.04 >= 0.025: s2/1 may not.
  EXPECT_EQ(L.Launched.size(), 2u);
  EXPECT_EQ(X->status(2), TaskStatus::Skipped);
  bool Reported = false, Recorded = false;
  for (const json::Object &E : Events) {
    if (E.getString("event") == llvm::StringRef("budget-spent"))
      Reported = true;
    if (E.getString("event") == llvm::StringRef("attempt-end") &&
        E.getString("session_id") == llvm::StringRef("c-1") &&
        E.getNumber("actual_usd") == 0.02)
      Recorded = true;
    if (E.getString("event") == llvm::StringRef("task-done") &&
        E.getString("task") == llvm::StringRef("s2/1")) {
      EXPECT_EQ(E.getString("reason"),
                llvm::StringRef("budget spent: $0.0400 of budget.usd $0.0250"));
    }
  }
  EXPECT_TRUE(Reported);
  EXPECT_TRUE(Recorded);
}

// A CLI's own default model, which the registry has no price for: its tokens
// are recorded, but they are not money (neither actual cost nor spend).
TEST_F(ExecutorTest, TokensOfAnUnpricedModelAreNotMoney) {
  ir::Plan P = plan({1});
  ir::ModelBinding &B = P.Bindings[0];
  B.AnswerJsonField = "result";
  B.Usage.InputTokens = "/in";
  B.Priced = false;
  L.Scripts["s0/1"] = {{0, "{\"result\":\"ok\",\"in\":500}"}};
  std::unique_ptr<Executor> X = run(P);
  ASSERT_EQ(X->attempts(0).size(), 1u);
  EXPECT_EQ(X->attempts(0)[0].Usage.InputTokens, 500);
  EXPECT_FALSE(X->attempts(0)[0].ActualUsd);
}
