//===- Summary.h - what a run did, for people and programs -------*- C++
//-*-===//
//
// A run report is made from a live executor (at the end of a run) or from a
// run directory's journal (`connectorc status`, a run in progress), and
// written as summary.json, summary.md, or a status listing.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SUMMARY_H
#define CONNECTORC_RUNTIME_SUMMARY_H

#include "runtime/executor/Executor.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace connectorc::runtime {

/// One task in a report.
struct TaskReport {
  std::string Id, Phase, Worker, Status, Machine = "local";
  std::vector<AttemptRecord> Attempts;
  double CostUsd = 0; ///< estimate on the binding it last ran on
  /// What its attempts cost as their CLIs reported it (AttemptRecord::
  /// ActualUsd); unset when none reported anything.
  std::optional<double> ActualUsd;
  /// The runs its agent started (childRuns() in runtime/executor/Nested.h).
  std::vector<llvm::json::Object> Teams;
  /// What its sandbox's proxy refused ("host:port"), each once, in order.
  std::vector<std::string> Denied;
};

/// Adds "host:port" to \p Denied unless it is there.
void noteDenied(std::vector<std::string> &Denied, llvm::StringRef Host,
                int64_t Port);

/// A run in a report.
struct RunReport {
  std::string Workflow, Status, RunDir;
  std::vector<TaskReport> Tasks;
  double EstimateUsd = 0;     ///< of what ran, child runs included
  double PlanEstimateUsd = 0; ///< the plan's own estimate
  /// What the attempts that reported their cost spent, child runs included.
  std::optional<double> ActualUsd;
  std::optional<double> BudgetUsd;
  /// Why tasks were not started: the budget was spent ("" when it was not).
  std::string BudgetStop;
  int Pid = 0; ///< the runtime's process, from the journal (0: unknown)
  /// Worktrees, their commits and the merge into the result branch
  /// (Workspaces::finish), when the run had any.
  std::optional<llvm::json::Value> Git;
  /// How sandboxed tasks ran: "bwrap", or "disabled by --no-sandbox";
  /// unset when the plan asks for no sandbox.
  std::optional<std::string> Sandbox;
};

/// The report of \p X's run; \p Status is "succeeded", "failed" or
/// "interrupted".
RunReport reportFromExecutor(const Executor &X, llvm::StringRef Status,
                             llvm::StringRef RunDir);

/// The report of a run directory's journal (a run finished or not).
RunReport reportFromJournal(const ir::Plan &P,
                            const std::vector<llvm::json::Object> &Events,
                            llvm::StringRef RunDir);

/// summary.json's contents.
/// Attempts and cost per provider.
struct ProviderCost {
  std::string Provider;
  unsigned Attempts = 0;
  double EstimateUsd = 0;
  std::optional<double> ActualUsd;
};
std::vector<ProviderCost> providerCosts(const RunReport &R);

llvm::json::Value summaryJson(const RunReport &R);
/// summary.md's contents.
std::string summaryMarkdown(const RunReport &R);
/// `connectorc status`'s listing.
void printStatus(llvm::raw_ostream &OS, const RunReport &R);
/// Estimated beside actual cost, per task and per provider (explain --run).
void printCosts(llvm::raw_ostream &OS, const RunReport &R);

} // namespace connectorc::runtime

#endif
