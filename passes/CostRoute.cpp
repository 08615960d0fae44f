//===- CostRoute.cpp - the cost-route pass --------------------------------===//
//
// Estimates each task's tokens and cost, routes "model": "auto" to the
// cheapest model of the team that meets the phase's tier, checks the budget,
// and fills the cost report: this plan's estimate beside the same workflow
// on its most expensive model throughout.
//
// Tokens: a task's input is its prompt (4 bytes a token) plus the answers it
// reads — every task of the stages it depends on and its own dependencies;
// its output is the phase's `estimate.output_tokens`, else the registry's
// default for the provider.
//
//===----------------------------------------------------------------------===//
#include "passes/PassManager.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <set>

using namespace connectorc;

/// The tier an "auto" of task \p T asks for, as messages name it.
static llvm::StringRef tierOf(const ir::Task &T) {
  return ir::tierName(T.WantTier == ir::Tier::Any ? ir::Tier::Fast
                                                  : T.WantTier);
}

static double costOf(const ir::ModelBinding &B, std::uint64_t In,
                     std::uint64_t Out) {
  return (static_cast<double>(In) * B.Cost.InputPerMTok +
          static_cast<double>(Out) * B.Cost.OutputPerMTok) /
         1e6;
}

namespace {

class CostRouter {
public:
  explicit CostRouter(Compilation &C) : C(C), P(C.Plan) {}
  bool run();

private:
  std::uint64_t outputOf(const ir::Task &T) const {
    if (T.OutputTokensHint)
      return *T.OutputTokensHint;
    return T.Candidates.empty() || T.Candidates.front() == ir::AutoCandidate
               ? 2000
               : P.Bindings[T.Candidates.front()].DefaultOutputTokens;
  }
  void estimateTokens();
  std::uint64_t stageOutput(unsigned S);
  /// The cheapest model of task \p I's team that meets its tier; with
  /// \p Fresh, only one that is not among its candidates yet.
  std::optional<unsigned> cheapest(unsigned I, bool Fresh) const;
  void reportUnroutable(unsigned I, llvm::SMRange Loc);
  llvm::SMRange autoFailoverLoc(unsigned I) const;
  void routeFallbacks(unsigned I);
  void route();
  void report();
  /// True when module \p M is \p Ancestor or a team inside it.
  bool within(unsigned M, unsigned Ancestor) const;
  /// Every module's budget (a team file's too) against its share.
  void checkBudgets();
  void checkBudget(unsigned Mod, double Total);

  Compilation &C;
  ir::Plan &P;
  std::vector<std::optional<std::uint64_t>> StageOutput;
  /// (stage, spec position) of each "auto" reported: once per stage.
  std::set<std::pair<unsigned, const char *>> Reported;
};

} // namespace

/// Output tokens a stage hands to the stages after it; a stage without tasks
/// of its own (a team) hands on what its last stages produce.
std::uint64_t CostRouter::stageOutput(unsigned S) {
  if (StageOutput[S])
    return *StageOutput[S];
  StageOutput[S] = 0; // breaks a cycle, should verify ever see one
  std::uint64_t Sum = 0;
  const ir::PlanStage &Stage = P.Stages[S];
  for (unsigned T : Stage.Tasks)
    Sum += P.Tasks[T].OutputTokens;
  if (Stage.Tasks.empty())
    for (unsigned D : Stage.DependsOn)
      Sum += stageOutput(D);
  StageOutput[S] = Sum;
  return Sum;
}

void CostRouter::estimateTokens() {
  for (ir::Task &T : P.Tasks)
    T.OutputTokens = outputOf(T);
  StageOutput.assign(P.Stages.size(), std::nullopt);
  std::vector<std::uint64_t> Upstream(P.Stages.size(), 0);
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    for (unsigned D : P.Stages[S].DependsOn)
      Upstream[S] += stageOutput(D);
  for (unsigned I = 0; I < P.Tasks.size(); ++I) {
    ir::Task &T = P.Tasks[I];
    if (T.InputTokensHint) {
      T.InputTokens = *T.InputTokensHint;
      continue;
    }
    std::uint64_t In = (C.PromptBytes[I] + 3) / 4 + Upstream[T.Stage];
    for (unsigned D : T.Deps)
      In += P.Tasks[D].OutputTokens;
    T.InputTokens = In;
  }
}

std::optional<unsigned> CostRouter::cheapest(unsigned I, bool Fresh) const {
  const ir::Task &T = P.Tasks[I];
  const ir::Module &M = *C.Modules[C.TaskModule[I]];
  const llvm::StringMap<unsigned> &Table = C.ModelBindings[C.TaskModule[I]];
  std::optional<unsigned> Best;
  double BestCost = 0;
  for (const ir::Model &Mo : M.Models) {
    auto It = Table.find(Mo.Name);
    if (!Mo.IsAlias || It == Table.end())
      continue;
    const ir::ModelBinding &B = P.Bindings[It->second];
    if (B.ModelTier < T.WantTier ||
        (Fresh && llvm::is_contained(T.Candidates, It->second)))
      continue;
    double Cost = costOf(B, T.InputTokens,
                         T.OutputTokensHint.value_or(B.DefaultOutputTokens));
    if (!Best || Cost < BestCost) {
      Best = It->second;
      BestCost = Cost;
    }
  }
  return Best;
}

void CostRouter::reportUnroutable(unsigned I, llvm::SMRange Loc) {
  const ir::Task &T = P.Tasks[I];
  if (!Reported.insert({T.Stage, Loc.Start.getPointer()}).second)
    return;
  const ir::Module &M = *C.Modules[C.TaskModule[I]];
  const llvm::StringMap<unsigned> &Table = C.ModelBindings[C.TaskModule[I]];
  std::vector<std::string> Have;
  for (const ir::Model &Mo : M.Models)
    if (auto It = Table.find(Mo.Name); Mo.IsAlias && It != Table.end())
      Have.push_back(
          fmt::format("'{}' is {}", Mo.Name,
                      ir::tierName(P.Bindings[It->second].ModelTier)));
  std::string Hint = Have.empty() ? "; \"models\" defines no model to route to"
                                  : "; " + llvm::join(Have, ", ");
  C.Diags.report(DiagKind::UnroutableAuto, Loc, tierOf(T), Hint);
}

/// Where task \p I's failover list says "auto": its own list, else
/// defaults.failover.
llvm::SMRange CostRouter::autoFailoverLoc(unsigned I) const {
  for (const ir::ModelUse &F : C.TaskAgent[I]->Failover)
    if (F.Name == "auto")
      return F.Loc;
  for (const ir::ModelUse &F : C.Modules[C.TaskModule[I]]->DefaultFailover)
    if (F.Name == "auto")
      return F.Loc;
  return P.Tasks[I].ModelLoc;
}

/// Fills each "auto" of task \p I's fallbacks with the cheapest model of
/// the team meeting its tier that is not a candidate yet; with none left,
/// the entry goes, and says so.
void CostRouter::routeFallbacks(unsigned I) {
  ir::Task &T = P.Tasks[I];
  for (size_t J = 0; J < T.Candidates.size();) {
    if (T.Candidates[J] != ir::AutoCandidate) {
      ++J;
      continue;
    }
    if (std::optional<unsigned> B = cheapest(I, /*Fresh=*/true)) {
      T.Candidates[J++] = *B;
      continue;
    }
    T.Candidates.erase(T.Candidates.begin() + J);
    llvm::SMRange Loc = autoFailoverLoc(I);
    if (!cheapest(I, /*Fresh=*/false))
      reportUnroutable(I, Loc);
    else if (Reported.insert({T.Stage, Loc.Start.getPointer()}).second)
      C.Diags.report(DiagKind::RedundantAutoFailover, Loc, tierOf(T),
                     T.ModelName);
  }
}

void CostRouter::route() {
  for (unsigned I = 0; I < P.Tasks.size(); ++I) {
    ir::Task &T = P.Tasks[I];
    if (T.ModelName == "auto") {
      if (std::optional<unsigned> Best = cheapest(I, /*Fresh=*/false)) {
        llvm::erase_value(T.Candidates, *Best);
        T.Candidates.insert(T.Candidates.begin(), *Best);
      } else {
        reportUnroutable(I, T.ModelLoc);
      }
    }
    routeFallbacks(I);
  }
}

void CostRouter::report() {
  double Total = 0;
  std::uint64_t AllIn = 0, AllOut = 0;
  for (ir::PlanStage &S : P.Stages)
    S.CostUsd = 0;
  for (ir::Task &T : P.Tasks) {
    T.CostUsd = T.Candidates.empty()
                    ? 0
                    : costOf(P.Bindings[T.Candidates.front()], T.InputTokens,
                             T.OutputTokens);
    Total += T.CostUsd;
    P.Stages[T.Stage].CostUsd += T.CostUsd;
    AllIn += T.InputTokens;
    AllOut += T.OutputTokens;
  }
  P.Cost.EstimateUsd = Total;
  P.Cost.CostliestModel.clear();
  P.Cost.CostliestUsd = 0;
  for (const ir::ModelBinding &B : P.Bindings) {
    double Cost = costOf(B, AllIn, AllOut);
    if (P.Cost.CostliestModel.empty() || Cost > P.Cost.CostliestUsd) {
      P.Cost.CostliestModel = B.Id;
      P.Cost.CostliestUsd = Cost;
    }
  }
  checkBudgets();
}

bool CostRouter::within(unsigned M, unsigned Ancestor) const {
  for (;; M = C.ModuleParent[M]) {
    if (M == Ancestor)
      return true;
    if (M == 0)
      return false;
  }
}

void CostRouter::checkBudgets() {
  // A module's share: its tasks and its teams' tasks, at any depth.
  std::vector<double> Share(C.Modules.size(), 0);
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    for (unsigned M = C.TaskModule[T];; M = C.ModuleParent[M]) {
      Share[M] += P.Tasks[T].CostUsd;
      if (M == 0)
        break;
    }
  for (unsigned M = 0; M < C.Modules.size(); ++M)
    checkBudget(M, Share[M]);
}

void CostRouter::checkBudget(unsigned Mod, double Total) {
  const ir::Module &M = *C.Modules[Mod];
  if (!M.BudgetUsd || Total <= *M.BudgetUsd)
    return;
  std::vector<const ir::PlanStage *> ByCost;
  for (const ir::PlanStage &S : P.Stages)
    if (S.CostUsd > 0 && within(C.TaskModule[S.Tasks.front()], Mod))
      ByCost.push_back(&S);
  llvm::stable_sort(ByCost, [](const ir::PlanStage *A, const ir::PlanStage *B) {
    return A->CostUsd > B->CostUsd;
  });
  std::string Top;
  for (size_t I = 0; I < ByCost.size() && I < 3; ++I)
    Top += fmt::format("{}{} ({})", I ? ", " : "", ByCost[I]->Name,
                       ir::formatUsd(ByCost[I]->CostUsd));
  C.Diags.report(DiagKind::OverBudget, M.BudgetLoc, ir::formatUsd(Total),
                 ir::formatUsd(*M.BudgetUsd), Top);
}

bool CostRouter::run() {
  estimateTokens();
  route();
  if (C.failed())
    return false;
  estimateTokens(); // routed tasks' answers are the size their model writes
  report();
  return !C.failed();
}

bool connectorc::runCostRoute(Compilation &C) { return CostRouter(C).run(); }
