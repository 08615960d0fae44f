//===- Explain.cpp - `connectorc explain` ---------------------------------===//
//
// A human summary of what a workflow will do: its stages, the tasks of each
// with the model and fallbacks they use and where they run, the cost report,
// and for a scheduled workflow when it fires next.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "ir/Cron.h"
#include "runtime/remote/MachineCheck.h"
#include "runtime/run/Run.h"
#include "ir/Fmt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <functional>

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;


namespace {
cl::opt<std::string> Input(cl::Positional, cl::Required,
                           cl::desc("<file.connector.json>"),
                           cl::sub(explainCommand()), cl::cat(Category));
cl::opt<bool> CheckMachines(
    "check-machines",
    cl::desc("Also connect to every machine the tasks use (ssh, never "
             "prompting) and check its PATH for the tools they need, as "
             "`connectorc run --check-machines` does; exit 1 when one is not "
             "ready"),
    cl::sub(explainCommand()), cl::cat(Category));

cl::opt<std::string> RunDir(
    "run", cl::value_desc("dir"),
    cl::desc("Also show what a run of the workflow in DIR (a run directory) "
             "cost: the estimate beside what the agents' CLIs reported, per "
             "task and per provider"),
    cl::sub(explainCommand()), cl::cat(Category));

std::string money(double Usd) { return ir::formatUsd(Usd); }

/// "research/1 … research/5" for a run of tasks, or the one id.
std::string idRange(const ir::Plan &P, llvm::ArrayRef<unsigned> Tasks) {
  if (Tasks.size() == 1)
    return P.Tasks[Tasks.front()].Id;
  if (Tasks.size() == 2)
    return P.Tasks[Tasks[0]].Id + ", " + P.Tasks[Tasks[1]].Id;
  return fmt::format("{} … {} ({} tasks)", P.Tasks[Tasks.front()].Id,
                     P.Tasks[Tasks.back()].Id, Tasks.size());
}

void explainStage(llvm::raw_ostream &OS, const ir::Plan &P,
                  const ir::PlanStage &S) {
  OS << fmt::format("  {} — {}", S.Name, ir::stageKindName(S.Kind));
  if (!S.Tasks.empty())
    OS << fmt::format(", {} task{}", S.Tasks.size(), S.Tasks.size() == 1 ? "" : "s");
  if (S.Kind == ir::StageKind::Workers && S.Tasks.size() > 1)
    OS << (llvm::any_of(S.Tasks, [&](unsigned T) { return !P.Tasks[T].Deps.empty(); })
               ? ", one after another"
               : ", in parallel");
  if (S.Kind == ir::StageKind::Team)
    OS << ", made of the stages below it";
  else if (!S.DependsOn.empty())
    OS << ", after "
       << llvm::join(llvm::map_range(S.DependsOn,
                                     [&](unsigned D) { return P.Stages[D].Name; }),
                     ", ");
  if (!S.Tasks.empty())
    OS << ", est. " << money(S.CostUsd);
  OS << '\n';
  // Runs of consecutive tasks with the same models and machines, on one line.
  for (size_t I = 0; I < S.Tasks.size();) {
    const ir::Task &First = P.Tasks[S.Tasks[I]];
    size_t J = I + 1;
    while (J < S.Tasks.size() &&
           P.Tasks[S.Tasks[J]].Candidates == First.Candidates &&
           P.Tasks[S.Tasks[J]].Machines == First.Machines &&
           P.Tasks[S.Tasks[J]].Role == First.Role)
      ++J;
    llvm::ArrayRef<unsigned> Run(S.Tasks.data() + I, J - I);
    OS << "      " << idRange(P, Run) << ": "
       << P.Bindings[First.Candidates.front()].Id;
    if (First.Candidates.size() > 1)
      OS << ", failing over to "
         << llvm::join(llvm::map_range(llvm::drop_begin(First.Candidates),
                                       [&](unsigned B) { return P.Bindings[B].Id; }),
                       " → ");
    OS << "; on " << llvm::join(First.Machines, " or ");
    if (!First.Session.Worktree.empty())
      OS << "; worktree " << First.Session.Worktree
         << (J - I > 1 ? " …" : "");
    if (First.Session.Sandbox.Enabled)
      switch (First.Session.Sandbox.Network) {
      case ir::SandboxNet::Provider:
        OS << "; sandboxed, network: its provider's API"
           << (First.Session.Sandbox.Hosts.empty()
                   ? ""
                   : " and " + llvm::join(First.Session.Sandbox.Hosts, ", "));
        break;
      case ir::SandboxNet::None:
        OS << "; sandboxed, no network";
        break;
      case ir::SandboxNet::Full:
        OS << "; sandboxed, with the whole network";
        break;
      }
    OS << '\n';
    I = J;
  }
}
/// The schedule and its next three fire times, in schedule.timezone and in
/// the local time of whoever reads this.
void explainSchedule(llvm::raw_ostream &OS, const ir::Plan &P) {
  OS << "schedule: " << P.Cron << " ("
     << (P.TimeZone.empty() ? "local time" : P.TimeZone) << ")\n";
  CronError Err;
  std::optional<CronSchedule> S = parseCron(P.Cron, Err);
  if (!S)
    return; // the checker has reported it
  auto Now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  llvm::Expected<std::vector<std::int64_t>> Times =
      nextFireTimes(*S, static_cast<std::int64_t>(Now), P.TimeZone, 3);
  if (!Times) {
    OS << "  next fire times: unknown (" << llvm::toString(Times.takeError())
       << ")\n";
    return;
  }
  if (Times->empty())
    OS << "  it does not fire in the next ten years\n";
  for (std::int64_t T : *Times) {
    llvm::Expected<std::string> There = formatFireTime(T, P.TimeZone);
    llvm::Expected<std::string> Here = formatFireTime(T, "");
    OS << "  next: " << (There ? *There : llvm::toString(There.takeError()));
    if (!P.TimeZone.empty() && Here)
      OS << " = " << *Here << " local";
    else if (!Here)
      llvm::consumeError(Here.takeError());
    OS << '\n';
  }
}

/// Stages in reading order: a team's inlined stages right after the team.
std::vector<unsigned> displayOrder(const ir::Plan &P) {
  std::vector<unsigned> Order;
  std::vector<bool> Done(P.Stages.size(), false);
  std::function<void(unsigned)> Visit = [&](unsigned S) {
    if (Done[S])
      return;
    Done[S] = true;
    Order.push_back(S);
    if (P.Stages[S].Kind != ir::StageKind::Team)
      return;
    std::string Prefix = P.Stages[S].Name + "/";
    for (unsigned C = 0; C < P.Stages.size(); ++C)
      if (llvm::StringRef(P.Stages[C].Name).startswith(Prefix) &&
          !llvm::StringRef(P.Stages[C].Name).drop_front(Prefix.size()).contains('/'))
        Visit(C);
  };
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    if (!llvm::StringRef(P.Stages[S].Name).contains('/'))
      Visit(S);
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    Visit(S);
  return Order;
}
} // namespace

void driver::printExplanation(llvm::raw_ostream &OS, const ir::Plan &P) {
  OS << "workflow " << P.Workflow << " (" << P.Source << ")\n";
  if (!P.Description.empty())
    OS << "  " << P.Description << "\n";
  OS << fmt::format("\n{} stage{}, {} task{}:\n", P.Stages.size(),
                    P.Stages.size() == 1 ? "" : "s", P.Tasks.size(),
                    P.Tasks.size() == 1 ? "" : "s");
  for (unsigned S : displayOrder(P))
    explainStage(OS, P, P.Stages[S]);
  OS << "\ncost (estimated, one run): " << money(P.Cost.EstimateUsd);
  if (!P.Cost.CostliestModel.empty() && P.Cost.CostliestUsd > 0) {
    OS << "; the same workflow on " << P.Cost.CostliestModel
       << " throughout: " << money(P.Cost.CostliestUsd);
    if (P.Cost.CostliestUsd > P.Cost.EstimateUsd * (1 + 1e-9))
      OS << fmt::format(" ({:.0f}% saved)",
                        100 * (1 - P.Cost.EstimateUsd / P.Cost.CostliestUsd));
  }
  OS << '\n';
  if (P.Cost.BudgetUsd)
    OS << "budget: " << money(*P.Cost.BudgetUsd)
       << fmt::format(" ({:.0f}% of it estimated)\n",
                      *P.Cost.BudgetUsd > 0
                          ? 100 * P.Cost.EstimateUsd / *P.Cost.BudgetUsd
                          : 0.0);
}

int driver::runExplain() {
  Driver D;
  if (!D.loadRegistry()) {
    D.printDiagnostics();
    return ExitUsage;
  }
  PassOptions Opts;
  Opts.Simulate = Simulate;
  std::optional<ir::Plan> Plan = D.compile(Input, std::move(Opts));
  D.printDiagnostics();
  if (D.FE.hadUnreadableFile())
    return ExitUsage;
  if (!Plan)
    return ExitFailure;
  const ir::Plan &P = *Plan;
  llvm::raw_ostream &OS = llvm::outs();
  printExplanation(OS, P);
  if (!RunDir.empty()) {
    llvm::Expected<runtime::RunReport> R = runtime::loadRunReport(RunDir);
    if (!R)
      return failure("connectorc explain", R.takeError());
    if (R->Workflow != P.Workflow)
      OS << fmt::format("note: the run in {} is of workflow '{}', not '{}'\n",
                        RunDir.getValue(), R->Workflow, P.Workflow);
    runtime::printCosts(OS, *R);
  }
  if (!P.Cron.empty())
    explainSchedule(OS, P);
  if (CheckMachines) {
    OS << "\nmachines:\n";
    OS.flush();
    if (!runtime::checkMachines(P, OS))
      return ExitFailure;
  }
  return D.exitStatus();
}
