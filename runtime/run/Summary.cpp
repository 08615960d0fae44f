//===- Summary.cpp - what a run did, for people and programs --------------===//
#include "runtime/run/Summary.h"
#include "runtime/executor/Journal.h"
#include "runtime/executor/Nested.h"

#include "llvm/ADT/StringMap.h"

#include <fmt/format.h>

#include <cmath>

using namespace connectorc;
using namespace connectorc::runtime;
namespace json = llvm::json;

namespace {
double round3(double X) { return std::round(X * 1000) / 1000; }
double round6(double X) { return std::round(X * 1e6) / 1e6; }

/// Estimated cost of \p T run on binding \p B (the cost-route token counts).
double costOn(const ir::Task &T, const ir::ModelBinding &B) {
  return (double(T.InputTokens) * B.Cost.InputPerMTok +
          double(T.OutputTokens) * B.Cost.OutputPerMTok) /
         1e6;
}

const ir::ModelBinding *bindingById(const ir::Plan &P, llvm::StringRef Id) {
  for (const ir::ModelBinding &B : P.Bindings)
    if (B.Id == Id)
      return &B;
  return nullptr;
}

TaskReport baseReport(const ir::Plan &P, unsigned T) {
  TaskReport R;
  const ir::Task &Task = P.Tasks[T];
  R.Id = Task.Id;
  R.Phase = P.Stages[Task.Stage].Name;
  R.Worker = Task.WorkerName;
  // Where it is placed; machineOfAttempts says where it ran.
  R.Machine = Task.Machines.empty() ? "local" : Task.Machines.front();
  return R;
}

void addCosts(const ir::Plan &P, RunReport &R) {
  for (unsigned T = 0; T < R.Tasks.size(); ++T) {
    TaskReport &TR = R.Tasks[T];
    if (TR.Attempts.empty())
      continue;
    // The machine of its last attempt (recorded for remote placements).
    if (!TR.Attempts.back().Machine.empty())
      TR.Machine = TR.Attempts.back().Machine;
    if (const ir::ModelBinding *B = bindingById(P, TR.Attempts.back().Binding))
      TR.CostUsd = costOn(P.Tasks[T], *B);
    R.EstimateUsd += TR.CostUsd;
    for (const AttemptRecord &A : TR.Attempts)
      if (A.ActualUsd)
        TR.ActualUsd = TR.ActualUsd.value_or(0) + *A.ActualUsd;
    if (TR.ActualUsd)
      R.ActualUsd = R.ActualUsd.value_or(0) + *TR.ActualUsd;
    // What the runs its agent started spent counts as this run's too.
    TR.Teams = childRuns(R.RunDir, TR.Id);
    for (const json::Object &Child : TR.Teams) {
      R.EstimateUsd += Child.getNumber("estimated_cost_usd").getValueOr(0);
      if (llvm::Optional<double> A = Child.getNumber("actual_cost_usd"))
        R.ActualUsd = R.ActualUsd.value_or(0) + *A;
    }
  }
  R.PlanEstimateUsd = P.Cost.EstimateUsd;
  R.BudgetUsd = P.Cost.BudgetUsd;
}

} // namespace

RunReport runtime::reportFromExecutor(const Executor &X, llvm::StringRef Status,
                                      llvm::StringRef RunDir) {
  const ir::Plan &P = X.plan();
  RunReport R;
  R.Workflow = P.Workflow;
  R.Status = Status.str();
  R.RunDir = RunDir.str();
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    TaskReport TR = baseReport(P, T);
    TR.Status = taskStatusName(X.status(T)).str();
    TR.Attempts = X.attempts(T);
    TR.Denied = X.denied(T);
    R.Tasks.push_back(std::move(TR));
  }
  addCosts(P, R);
  R.BudgetUsd = X.budget();
  R.BudgetStop = X.budgetStopped();
  return R;
}

RunReport runtime::reportFromJournal(const ir::Plan &P,
                                     const std::vector<json::Object> &Events,
                                     llvm::StringRef RunDir) {
  RunReport R;
  R.Workflow = P.Workflow;
  R.Status = "running";
  R.RunDir = RunDir.str();
  llvm::StringMap<unsigned> ById;
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    R.Tasks.push_back(baseReport(P, T));
    R.Tasks.back().Status = "pending";
    ById[P.Tasks[T].Id] = T;
  }
  for (const json::Object &E : Events) {
    llvm::StringRef Kind = eventString(E, "event");
    if (Kind == "run-end")
      R.Status = eventString(E, "status").str();
    else if (Kind == "budget-spent")
      R.BudgetStop = budgetStopReason(eventNumber(E, "spent_usd"),
                                      eventNumber(E, "budget_usd"));
    else if (Kind == "run-start" || Kind == "run-resume") {
      R.Status = "running";
      R.Pid = static_cast<int>(eventInteger(E, "pid"));
    }
    auto It = ById.find(eventString(E, "task"));
    if (It == ById.end())
      continue;
    TaskReport &TR = R.Tasks[It->second];
    if (Kind == "attempt-start")
      TR.Status = "running";
    else if (Kind == "attempt-end")
      TR.Attempts.push_back(attemptFromEvent(E));
    else if (Kind == "task-done")
      TR.Status = eventString(E, "status").str();
    else if (Kind == "network-denied")
      noteDenied(TR.Denied, eventString(E, "host"), eventInteger(E, "port"));
  }
  addCosts(P, R);
  return R;
}

std::vector<ProviderCost> runtime::providerCosts(const RunReport &R) {
  std::vector<ProviderCost> Out;
  auto Of = [&Out](llvm::StringRef Name) -> ProviderCost & {
    for (ProviderCost &C : Out)
      if (C.Provider == Name)
        return C;
    Out.push_back({Name.str(), 0, 0, std::nullopt});
    return Out.back();
  };
  for (const TaskReport &T : R.Tasks) {
    for (const AttemptRecord &A : T.Attempts) {
      ProviderCost &C = Of(A.Provider);
      ++C.Attempts;
      if (A.ActualUsd)
        C.ActualUsd = C.ActualUsd.value_or(0) + *A.ActualUsd;
    }
    // A task's estimate is on the provider it last ran on.
    if (!T.Attempts.empty())
      Of(T.Attempts.back().Provider).EstimateUsd += T.CostUsd;
  }
  return Out;
}

/// "$0.0123", or "—" when nothing was reported.
static std::string money(std::optional<double> Usd) {
  return Usd ? fmt::format("${:.4f}", *Usd) : std::string("—");
}

void runtime::noteDenied(std::vector<std::string> &Denied,
                         llvm::StringRef Host, int64_t Port) {
  std::string Where = fmt::format("{}:{}", Host.str(), Port);
  if (!llvm::is_contained(Denied, Where))
    Denied.push_back(std::move(Where));
}

json::Value runtime::summaryJson(const RunReport &R) {
  json::Array Tasks;
  llvm::StringMap<int64_t> Counts;
  for (const TaskReport &T : R.Tasks) {
    ++Counts[T.Status];
    json::Array Attempts;
    for (const AttemptRecord &A : T.Attempts) {
      json::Object O{{"provider", A.Provider},
                     {"model", A.Model},
                     {"binding", A.Binding},
                     {"outcome", outcomeName(A.Kind)},
                     {"exit_code", int64_t(A.ExitCode)},
                     {"duration_s", round3(A.DurationS)}};
      if (!A.Machine.empty())
        O["machine"] = A.Machine;
      if (A.Usage.InputTokens)
        O["input_tokens"] = *A.Usage.InputTokens;
      if (A.Usage.OutputTokens)
        O["output_tokens"] = *A.Usage.OutputTokens;
      if (A.ActualUsd)
        O["actual_cost_usd"] = round6(*A.ActualUsd);
      if (A.Usage.SessionId)
        O["session_id"] = *A.Usage.SessionId;
      Attempts.push_back(std::move(O));
    }
    json::Object Task{{"id", T.Id},
                      {"phase", T.Phase},
                      {"worker", T.Worker},
                      {"status", T.Status},
                      {"machine", T.Machine},
                      {"estimated_cost_usd", round6(T.CostUsd)},
                      {"attempts", std::move(Attempts)}};
    if (T.ActualUsd)
      Task["actual_cost_usd"] = round6(*T.ActualUsd);
    if (!T.Denied.empty())
      Task["network_denied"] = json::Array(
          std::vector<json::Value>(T.Denied.begin(), T.Denied.end()));
    if (!T.Teams.empty()) {
      json::Array Teams;
      for (const json::Object &Child : T.Teams)
        Teams.push_back(json::Object(Child));
      Task["teams"] = std::move(Teams);
    }
    Tasks.push_back(std::move(Task));
  }
  json::Object CountObj;
  for (const auto &C : Counts)
    CountObj[C.getKey().str()] = C.getValue();
  json::Object Summary{{"workflow", R.Workflow},
                       {"status", R.Status},
                       {"counts", std::move(CountObj)},
                       {"estimated_cost_usd", round6(R.EstimateUsd)},
                       {"plan_estimate_usd", round6(R.PlanEstimateUsd)},
                       {"tasks", std::move(Tasks)}};
  if (R.ActualUsd)
    Summary["actual_cost_usd"] = round6(*R.ActualUsd);
  json::Object Providers;
  for (const ProviderCost &C : providerCosts(R)) {
    json::Object O{{"attempts", int64_t(C.Attempts)},
                   {"estimated_cost_usd", round6(C.EstimateUsd)}};
    if (C.ActualUsd)
      O["actual_cost_usd"] = round6(*C.ActualUsd);
    Providers[C.Provider] = std::move(O);
  }
  Summary["providers"] = std::move(Providers);
  if (R.BudgetUsd) {
    json::Object B{{"usd", *R.BudgetUsd}};
    if (!R.BudgetStop.empty())
      B["stopped"] = R.BudgetStop;
    Summary["budget"] = std::move(B);
  }
  if (R.Git)
    Summary["git"] = *R.Git;
  if (R.Sandbox)
    Summary["sandbox"] = *R.Sandbox;
  return Summary;
}

/// The strings of \p Key's array in \p O, each in \p Quote, joined by ", ".
static std::string joinStrings(const json::Object &O, llvm::StringRef Key,
                               llvm::StringRef Quote = "") {
  std::string Out;
  if (const json::Array *A = O.getArray(Key))
    for (const json::Value &V : *A)
      Out += (Out.empty() ? "" : ", ") + Quote.str() +
             V.getAsString().getValueOr("").str() + Quote.str();
  return Out;
}

/// The worktrees and merges section of summary.md.
static std::string gitMarkdown(const json::Object &Git) {
  std::string Out = "\n## Worktrees\n\n| worktree | branch | commit | tasks |\n"
                    "|---|---|---|---|\n";
  auto Str = [](const json::Object &O, llvm::StringRef Key) {
    return O.getString(Key).getValueOr("").str();
  };
  auto Objects = [](const json::Object &O, llvm::StringRef Key) {
    std::vector<const json::Object *> Out;
    if (const json::Array *A = O.getArray(Key))
      for (const json::Value &V : *A)
        if (const json::Object *Obj = V.getAsObject())
          Out.push_back(Obj);
    return Out;
  };
  for (const json::Object *W : Objects(Git, "worktrees")) {
    std::string Commit = Str(*W, "commit");
    Out += fmt::format("| {} | {} | {} | {} |\n", Str(*W, "name"),
                       Str(*W, "branch"),
                       Commit.empty() ? "no changes" : Commit.substr(0, 12),
                       joinStrings(*W, "tasks"));
  }
  for (const json::Object *M : Objects(Git, "merges")) {
    if (Str(*M, "head").empty()) {
      Out += fmt::format("\nNo worktree changed anything: `{}` was not made.\n",
                         Str(*M, "into"));
      continue;
    }
    std::string Names = joinStrings(*M, "merged", "`");
    Out += fmt::format("\nMerged into `{}`: {}.\n", Str(*M, "into"),
                       Names.empty() ? "nothing" : Names);
    for (const json::Object *C : Objects(*M, "conflicts"))
      Out += fmt::format("- **Not merged** `{}`: conflicts in {}; the branch "
                         "keeps its work.\n",
                         Str(*C, "branch"), joinStrings(*C, "files"));
  }
  return Out;
}

std::string runtime::summaryMarkdown(const RunReport &R) {
  std::string Out = fmt::format(
      "# {}: {}\n\nEstimated cost: ${:.4f}; actual (as the CLIs reported "
      "it): {}\n",
      R.Workflow, R.Status, R.EstimateUsd, money(R.ActualUsd));
  if (R.BudgetUsd)
    Out += fmt::format("\nBudget: ${:.4f}{}\n", *R.BudgetUsd,
                       R.BudgetStop.empty()
                           ? ""
                           : "; " + R.BudgetStop +
                                 ", so the tasks after it were not started");
  Out += "\n| task | status | estimated | actual | attempts (provider/model: "
         "outcome, exit, seconds) |\n"
         "|---|---|---|---|---|\n";
  for (const TaskReport &T : R.Tasks) {
    std::string Tries;
    for (const AttemptRecord &A : T.Attempts)
      Tries += fmt::format("{}{}: {}, {}, {:.1f}", Tries.empty() ? "" : "; ",
                           A.Binding, outcomeName(A.Kind).str(), A.ExitCode,
                           A.DurationS);
    Out += fmt::format("| {} | {} | ${:.4f} | {} | {} |\n", T.Id, T.Status,
                       T.CostUsd, money(T.ActualUsd), Tries);
  }
  for (const TaskReport &T : R.Tasks)
    if (!T.Denied.empty())
      Out += fmt::format("\nTask {}: its sandbox refused connections to {}.\n",
                         T.Id, llvm::join(T.Denied, ", "));
  std::vector<ProviderCost> Providers = providerCosts(R);
  if (!Providers.empty()) {
    Out += "\n| provider | attempts | estimated | actual |\n|---|---|---|---|\n";
    for (const ProviderCost &C : Providers)
      Out += fmt::format("| {} | {} | ${:.4f} | {} |\n", C.Provider,
                         C.Attempts, C.EstimateUsd, money(C.ActualUsd));
  }
  for (const TaskReport &T : R.Tasks)
    for (const json::Object &Child : T.Teams)
      Out += fmt::format(
          "\nTask {} started the run `{}`: {}, {} tasks, estimated ${:.4f} "
          "({}).\n",
          T.Id, Child.getString("workflow").getValueOr("?").str(),
          Child.getString("status").getValueOr("?").str(),
          Child.getInteger("tasks").getValueOr(0),
          Child.getNumber("estimated_cost_usd").getValueOr(0),
          Child.getString("run_dir").getValueOr("").str());
  if (R.Sandbox)
    Out += fmt::format("\nSandbox: {}.\n", *R.Sandbox);
  if (const json::Object *Git = R.Git ? R.Git->getAsObject() : nullptr)
    Out += gitMarkdown(*Git);
  return Out;
}

void runtime::printStatus(llvm::raw_ostream &OS, const RunReport &R) {
  OS << fmt::format("{}: {} ({})\n", R.Workflow, R.Status, R.RunDir);
  for (const TaskReport &T : R.Tasks) {
    std::string Last;
    if (!T.Attempts.empty())
      Last =
          fmt::format(" — {} on {}", outcomeName(T.Attempts.back().Kind).str(),
                      T.Attempts.back().Binding);
    OS << fmt::format("  {:<12} {}{} [{} attempt{}]\n", T.Status, T.Id, Last,
                      T.Attempts.size(), T.Attempts.size() == 1 ? "" : "s");
    if (!T.Denied.empty())
      OS << "               network denied: " << llvm::join(T.Denied, ", ")
         << "\n";
  }
  OS << fmt::format("estimated cost: ${:.4f}, actual: {}\n", R.EstimateUsd,
                    money(R.ActualUsd));
  if (!R.BudgetStop.empty())
    OS << R.BudgetStop << ": the tasks after it were not started\n";
}

void runtime::printCosts(llvm::raw_ostream &OS, const RunReport &R) {
  OS << fmt::format("cost of the run {} ({}): estimated ${:.4f}, actual {}\n",
                    R.RunDir, R.Status, R.EstimateUsd, money(R.ActualUsd));
  if (!R.BudgetStop.empty())
    OS << "  " << R.BudgetStop << ": the tasks after it were not started\n";
  for (const TaskReport &T : R.Tasks)
    if (!T.Attempts.empty())
      OS << fmt::format("  {:<24} estimated ${:.4f}  actual {}\n", T.Id,
                        T.CostUsd, money(T.ActualUsd));
  for (const ProviderCost &C : providerCosts(R))
    OS << fmt::format("  provider {:<15} {} attempt{}, estimated ${:.4f}  "
                      "actual {}\n",
                      C.Provider, C.Attempts, C.Attempts == 1 ? "" : "s",
                      C.EstimateUsd, money(C.ActualUsd));
}
