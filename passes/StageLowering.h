//===- StageLowering.h - stages into tasks (shared by two passes) -*- C++ -*-===//
//
// expand-workers lowers the root module's worker stages; lower-topologies the
// other kinds, and a team's stages of every kind (so it calls back into the
// worker-stage code). Both go through these functions.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_PASSES_STAGELOWERING_H
#define CONNECTORC_PASSES_STAGELOWERING_H

#include "passes/PassManager.h"

namespace connectorc {

/// The values build-time template variables take for one task.
struct TemplateVars {
  std::string Worker, Phase, Name, Model, Machine;
  std::optional<llvm::StringRef> operator()(llvm::StringRef Var) const;
};

/// Renders a template for a task, keeping {run} and {scratchpad}. Problems in
/// a prompt_file's text are reported (inline strings the checker has seen).
/// Returns std::nullopt after reporting.
std::optional<std::string> renderForTask(Compilation &C, const ir::Agent &A,
                                         llvm::StringRef Text,
                                         const TemplateVars &Vars);

/// A task's prompt: its text, and its size (all that is left of it with
/// PassOptions::LintOnly).
struct TaskPrompt {
  std::string Text;
  size_t Size = 0;
};

/// Agent \p A's prompt for one task, as renderForTask renders it; with
/// PassOptions::LintOnly only measured. std::nullopt after reporting.
std::optional<TaskPrompt> promptForTask(Compilation &C, const ir::Agent &A,
                                        const TemplateVars &Vars);

/// Appends a task for agent \p A of module \p Module to stage \p PlanStage,
/// with the fields every kind shares. Returns its index.
unsigned addTask(Compilation &C, unsigned Module, unsigned PlanStage,
                 const ir::Agent &A, std::string WorkerName, unsigned Worker,
                 TaskPrompt Prompt);
inline unsigned addTask(Compilation &C, unsigned Module, unsigned PlanStage,
                        const ir::Agent &A, std::string WorkerName,
                        unsigned Worker, std::string Prompt) {
  size_t Size = Prompt.size();
  return addTask(C, Module, PlanStage, A, std::move(WorkerName), Worker,
                 TaskPrompt{std::move(Prompt), Size});
}

/// Makes the plan stage for \p S of module \p Module (name \p Name).
unsigned addPlanStage(Compilation &C, const ir::Stage &S, std::string Name);

/// Gives \p Task the session \p A asks for (its worktree template
/// substituted with \p Vars), when it asks for one.
void applySession(const Compilation &C, ir::Task &Task, const ir::Agent &A,
                  const TemplateVars &Vars);

/// Lowers a worker stage: its tasks, substituted templates, serial chains.
void expandWorkersStage(Compilation &C, unsigned Module, const ir::Stage &S,
                        unsigned PlanStage);

/// The run-directory path of a task's answer.
std::string answerPath(llvm::StringRef Stage, llvm::StringRef Worker);

} // namespace connectorc

#endif
