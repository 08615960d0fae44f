//===- Run.cpp - `connectorc run`, `logs` and `status` --------------------===//
//
// Thin: parses the command line, compiles a spec (or loads a plan) and hands
// it to the runtime library.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "ir/PlanJson.h"
#include "runtime/remote/MachineCheck.h"
#include "runtime/daemon/Daemon.h"
#include "runtime/run/Run.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

#include <unistd.h>

extern char **environ;

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;

namespace {
cl::opt<std::string> Input(cl::Positional, cl::Optional,
                           cl::desc("<file.connector.json | plan.json>"),
                           cl::sub(runCommand()), cl::cat(Category));
cl::opt<unsigned> Jobs("jobs",
                       cl::desc("Run at most N tasks at once (default: cores "
                                "x 4; agents mostly wait on the network)"),
                       cl::value_desc("N"), cl::init(0), cl::sub(runCommand()),
                       cl::cat(Category));
cl::alias JobsShort("j", cl::desc("Alias for --jobs"), cl::aliasopt(Jobs),
                    cl::cat(Category));
cl::opt<std::string> RunDir("run-dir",
                            cl::desc("Run directory (default: "
                                     ".connector/runs/<workflow>-<UTC time>/)"),
                            cl::value_desc("dir"), cl::sub(runCommand()),
                            cl::cat(Category));
cl::opt<bool> KeepWorktrees(
    "keep-worktrees",
    cl::desc("Leave each task's git worktree in place at the end (their "
             "branches are always kept)"),
    cl::sub(runCommand()), cl::cat(Category));
cl::opt<bool> NoSshSharing(
    "no-ssh-sharing",
    cl::desc("Give every ssh to another machine its own connection instead "
             "of sharing one per machine (ControlMaster)"),
    cl::sub(runCommand()), cl::cat(Category));
cl::opt<bool> NoSandbox(
    "no-sandbox",
    cl::desc("Run tasks the plan sandboxes without bwrap (recorded in the "
             "journal and the summary); without it, a run that cannot "
             "sandbox does not start"),
    cl::sub(runCommand()), cl::cat(Category));
cl::opt<bool> Detach("detach",
                     cl::desc("Hand the run to the session daemon (started "
                              "if need be), print its id and return; it "
                              "goes on whatever happens to this terminal"),
                     cl::sub(runCommand()), cl::cat(Category));
cl::opt<bool> Resume("resume",
                     cl::desc("Continue the run in --run-dir: finished tasks "
                              "are kept, the others start afresh"),
                     cl::sub(runCommand()), cl::cat(Category));
cl::opt<std::string> StageName(
    "stage",
    cl::desc("Run only this stage's tasks, in --run-dir, which must hold the "
             "answers of the stages it reads (how the sh backend runs a "
             "mesh stage)"),
    cl::value_desc("name"), cl::sub(runCommand()), cl::cat(Category));
cl::opt<std::string> Timeout("timeout",
                             cl::desc("Per-task timeout for every task "
                                      "(30s, 20m, 2h), over the plan's"),
                             cl::value_desc("duration"), cl::sub(runCommand()),
                             cl::cat(Category));
cl::opt<bool> Quiet("quiet", cl::desc("Print only problems and the result"),
                    cl::sub(runCommand()), cl::cat(Category));
cl::opt<bool> Verbose("verbose",
                      cl::desc("Also print every attempt's end and back-off"),
                      cl::sub(runCommand()), cl::cat(Category));
cl::opt<std::string>
    EventsOut("events",
              cl::desc("Stream the journal's events as JSON lines to a file "
                       "('-' for stdout)"),
              cl::value_desc("file"), cl::sub(runCommand()), cl::cat(Category));
cl::opt<bool> CheckMachines(
    "check-machines",
    cl::desc("Run nothing: connect to every machine the tasks use (ssh, "
             "never prompting) and check its PATH for the tools they need; "
             "exit 1 when one is not ready"),
    cl::sub(runCommand()), cl::cat(Category));
// For tests and impatient users; not in --help.
cl::opt<double> KillGrace("kill-grace", cl::Hidden, cl::init(5),
                          cl::desc("Seconds between SIGTERM and SIGKILL"),
                          cl::sub(runCommand()));
cl::opt<double> CoolDown("cool-down", cl::Hidden, cl::init(60),
                         cl::desc("Seconds an unavailable provider is skipped"),
                         cl::sub(runCommand()));
cl::opt<double> BackoffBase("backoff-base", cl::Hidden, cl::init(2),
                            cl::desc("First rate-limit back-off, seconds"),
                            cl::sub(runCommand()));

cl::opt<std::string> LogsDir(cl::Positional, cl::Required,
                             cl::desc("<run dir>"), cl::sub(logsCommand()),
                             cl::cat(Category));
cl::opt<std::string> LogsTask(cl::Positional, cl::Required,
                              cl::desc("<task id>"), cl::sub(logsCommand()),
                              cl::cat(Category));
cl::opt<bool> Follow("follow",
                     cl::desc("Keep printing as the transcript grows, until "
                              "the task is done"),
                     cl::sub(logsCommand()), cl::cat(Category));
cl::alias FollowShort("f", cl::desc("Alias for --follow"), cl::aliasopt(Follow),
                      cl::cat(Category));
cl::opt<bool> Raw("raw", cl::desc("Print the terminal bytes as they came"),
                  cl::sub(logsCommand()), cl::cat(Category));

cl::opt<std::string> StatusDir(cl::Positional, cl::Required,
                               cl::desc("<run dir>"), cl::sub(statusCommand()),
                               cl::cat(Category));

/// "90", "90s", "20m", "2h" -> seconds; std::nullopt when malformed.
std::optional<double> parseDuration(llvm::StringRef S) {
  double Scale = 1;
  if (S.consume_back("s"))
    Scale = 1;
  else if (S.consume_back("m"))
    Scale = 60;
  else if (S.consume_back("h"))
    Scale = 3600;
  double V = 0;
  if (S.empty() || S.getAsDouble(V) || V <= 0)
    return std::nullopt;
  return V * Scale;
}

/// The plan to run: the run directory's (--resume), a plan file, or a spec
/// compiled here. Sets \p Status when there is none.
std::optional<ir::Plan> loadPlan(int &Status) {
  if (Resume) {
    llvm::Expected<ir::Plan> P = runtime::loadRunPlan(RunDir);
    if (!P) {
      Status = failure("connectorc run", P.takeError());
      return std::nullopt;
    }
    return std::move(*P);
  }
  auto Buf = llvm::MemoryBuffer::getFileOrSTDIN(Input, /*IsText=*/true);
  if (Buf && Driver::isPlanFile((*Buf)->getBuffer())) {
    if (Simulate)
      llvm::WithColor::warning(llvm::errs(), "connectorc run")
          << "--simulate does not change a plan file; build the plan with "
             "--simulate instead\n";
    llvm::Expected<ir::Plan> P = ir::readPlanJson((*Buf)->getBuffer(), Input);
    if (!P) {
      Status = failure("connectorc run", P.takeError());
      return std::nullopt;
    }
    return std::move(*P);
  }
  Driver D;
  bool RegistryOk = D.loadRegistry();
  std::optional<ir::Plan> Plan;
  PassOptions Opts;
  Opts.Simulate = Simulate;
  if (RegistryOk)
    Plan = D.compile(Input, std::move(Opts));
  D.printDiagnostics();
  if (D.FE.hadUnreadableFile() || !RegistryOk)
    Status = ExitUsage;
  else if (!Plan || D.exitStatus() != ExitOk)
    Status = ExitFailure;
  else
    return Plan;
  return std::nullopt;
}

/// Checks the combination of options; fills \p O.
int runOptions(runtime::RunOptions &O) {
  const char *Tool = "connectorc run";
  if (Resume && RunDir.empty())
    return usage(Tool, "--resume needs --run-dir DIR");
  if (Resume && !Input.empty())
    return usage(Tool, "--resume takes the plan from the run directory; "
                       "give no input file");
  if (!Resume && Input.empty())
    return usage(Tool, "no input file (a connector.json spec or a plan)");
  if (Quiet && Verbose)
    return usage(Tool, "--quiet and --verbose exclude each other");
  if (!StageName.empty() && Resume)
    return usage(Tool, "--stage and --resume exclude each other");
  if (!StageName.empty() && RunDir.empty())
    return usage(Tool, "--stage needs --run-dir DIR, the run directory that "
                       "holds the answers of the stages it reads");
  std::map<std::string, std::string> Fails;
  if (std::optional<std::string> Bad = parseSimulateFails(Fails))
    return usage(Tool, *Bad);
  for (const auto &[Provider, Kind] : Fails)
    O.SimulateFail[Provider] = Kind;
  if (!Timeout.empty()) {
    std::optional<double> S = parseDuration(Timeout);
    if (!S)
      return usage(Tool, "--timeout wants a duration such as 90s, 20m or 2h; "
                         "got '" +
                             Timeout + "'");
    O.TimeoutS = *S;
  }
  O.RunDir = RunDir;
  O.Resume = Resume;
  O.Jobs = Jobs;
  O.Level = Quiet     ? runtime::Verbosity::Quiet
            : Verbose ? runtime::Verbosity::Verbose
                      : runtime::Verbosity::Normal;
  O.EventsPath = EventsOut;
  O.SelfExe = selfExe();
  O.KeepWorktrees = KeepWorktrees;
  O.NoSandbox = NoSandbox;
  O.NoSshSharing = NoSshSharing;
  O.Stage = StageName;
  O.KillGraceS = KillGrace;
  O.CoolDownS = CoolDown;
  O.BackoffBaseS = BackoffBase;
  return ExitOk;
}
} // namespace

namespace {
/// `run --detach`: the spec was compiled here (its problems are shown
/// here); the daemon runs it, with this command line, directory and
/// environment, in a run directory chosen here.
int detach(const ir::Plan &Plan) {
  const char *Tool = "connectorc run";
  if (!StageName.empty() || CheckMachines || EventsOut == "-")
    return usage(Tool, "--detach does not go with --stage, --check-machines "
                       "or --events -");
  if (Input == "-")
    return usage(Tool, "--detach needs a spec file, not standard input");
  llvm::Expected<std::string> Dir =
      runtime::newRunDir(Plan, RunDir);
  if (!Dir)
    return failure(Tool, Dir.takeError());
  // The same command line, detached: without --detach, with an absolute
  // --run-dir (the one chosen here) and --quiet (no one sees it).
  std::vector<std::string> Args{"run"};
  const std::vector<std::string> &Given = givenArguments();
  for (size_t I = 1; I < Given.size(); ++I) {
    llvm::StringRef A = Given[I];
    if (A == "--detach" || A == "-detach")
      continue;
    if (A == "--run-dir" || A == "-run-dir") {
      ++I;
      continue;
    }
    if (A.startswith("--run-dir=") || A.startswith("-run-dir="))
      continue;
    Args.push_back(A.str());
  }
  Args.insert(Args.end(), {"--run-dir", *Dir, "--quiet"});
  llvm::SmallString<256> Cwd;
  llvm::sys::fs::current_path(Cwd);
  std::vector<std::string> Env;
  for (char **E = environ; *E; ++E)
    Env.push_back(*E);
  llvm::Expected<llvm::json::Object> A =
      runtime::startDetached(selfExe(), Args, std::string(Cwd), Env, *Dir);
  if (!A)
    return failure(Tool, A.takeError());
  llvm::outs() << A->getString("id").getValueOr("") << "\n";
  return ExitOk;
}
} // namespace

int driver::runRun() {
  runtime::RunOptions O;
  if (int Status = runOptions(O))
    return Status;
  int Status = ExitFailure;
  std::optional<ir::Plan> Plan = loadPlan(Status);
  if (!Plan)
    return Status;
  if (Detach)
    return detach(*Plan);
  if (CheckMachines)
    return runtime::checkMachines(*Plan, llvm::outs()) ? ExitOk : ExitFailure;
  std::optional<runtime::StagePlan> Part;
  if (!O.Stage.empty()) {
    llvm::Expected<runtime::StagePlan> S =
        runtime::selectStage(*Plan, O.Stage, O.RunDir);
    if (!S)
      return usage("connectorc run", llvm::toString(S.takeError()));
    Part = std::move(*S);
  }
  llvm::Expected<runtime::RunResult> R =
      Part ? runtime::runStage(*Plan, *Part, O) : runtime::runPlan(*Plan, O);
  if (!R)
    return failure("connectorc run", R.takeError());
  switch (*R) {
  case runtime::RunResult::Succeeded:
    return ExitOk;
  case runtime::RunResult::Failed:
    return ExitFailure;
  case runtime::RunResult::Interrupted:
    return ExitInterrupted;
  }
  return ExitFailure;
}

int driver::runLogs() {
  if (llvm::Error E =
          runtime::printLogs(LogsDir, LogsTask, Raw, Follow, llvm::outs()))
    return failure("connectorc logs", std::move(E));
  return ExitOk;
}

int driver::runStatus() {
  if (llvm::Error E = runtime::printRunStatus(StatusDir, llvm::outs()))
    return failure("connectorc status", std::move(E));
  return ExitOk;
}
