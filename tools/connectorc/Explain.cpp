//===- Explain.cpp - `connectorc explain` ---------------------------------===//
//
// A human summary of what a workflow will do: its stages, the tasks of each
// with the model and fallbacks they use and where they run, the cost report,
// and for a scheduled workflow when it fires next.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "ir/Fmt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;


namespace {
cl::opt<std::string> Input(cl::Positional, cl::Required,
                           cl::desc("<file.connector.json>"),
                           cl::sub(explainCommand()), cl::cat(Category));

std::string money(double Usd) {
  return Usd < 0.01 && Usd > 0 ? fmt::format("${:.4f}", Usd)
                               : fmt::format("${:.2f}", Usd);
}

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
  if (!S.DependsOn.empty())
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
      OS << "; sandboxed" << (First.Session.Sandbox.Network ? " with network" : "");
    OS << '\n';
    I = J;
  }
}
} // namespace

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
  OS << "workflow " << P.Workflow << " (" << P.Source << ")\n";
  if (!P.Description.empty())
    OS << "  " << P.Description << "\n";
  OS << fmt::format("\n{} stage{}, {} task{}:\n", P.Stages.size(),
                    P.Stages.size() == 1 ? "" : "s", P.Tasks.size(),
                    P.Tasks.size() == 1 ? "" : "s");
  for (const ir::PlanStage &S : P.Stages)
    explainStage(OS, P, S);
  OS << "\ncost (estimated, one run): " << money(P.Cost.EstimateUsd);
  if (!P.Cost.CostliestModel.empty() && P.Cost.CostliestUsd > 0) {
    OS << "; the same workflow on " << P.Cost.CostliestModel
       << " throughout: " << money(P.Cost.CostliestUsd);
    if (P.Cost.CostliestUsd > P.Cost.EstimateUsd)
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
  if (!P.Cron.empty())
    OS << "schedule: " << P.Cron << " ("
       << (P.TimeZone.empty() ? "local time" : P.TimeZone) << ")\n";
  return D.exitStatus();
}
