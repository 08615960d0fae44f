//===- ExpandWorkers.cpp - the expand-workers pass ------------------------===//
//
// "workers": 5 becomes five tasks, a worker array one task per entry; the
// templates of each ({worker}, {phase}, {name}, {model}, {machine}) are
// substituted, and "parallel": false chains the workers one after another.
// Every stage gets its plan stage here, so stage indices are the module's;
// stages of the other kinds are left to lower-topologies.
//
//===----------------------------------------------------------------------===//
#include "passes/StageLowering.h"

#include "ir/Printer.h"
#include "ir/Template.h"

#include "llvm/Support/Path.h"

using namespace connectorc;

std::optional<llvm::StringRef>
TemplateVars::operator()(llvm::StringRef Var) const {
  if (Var == "worker")
    return llvm::StringRef(Worker);
  if (Var == "phase")
    return llvm::StringRef(Phase);
  if (Var == "name")
    return llvm::StringRef(Name);
  if (Var == "model")
    return llvm::StringRef(Model);
  if (Var == "machine")
    return llvm::StringRef(Machine);
  return std::nullopt; // {run}, {scratchpad}: the runtime's
}

/// Reports the problems of a prompt_file's template, once per agent. True
/// when there are none (an inline prompt's the checker has reported).
static bool promptFileClean(Compilation &C, const ir::Agent &A,
                            llvm::ArrayRef<TemplateProblem> Problems) {
  // Inline prompts were checked by the checker; a prompt_file's text is
  // seen here first, so its problems are reported here, once per agent.
  if (Problems.empty() || !A.PromptFromFile)
    return true;
  if (C.PromptProblemsReported == &A)
    return false;
  C.PromptProblemsReported = &A;
  for (const TemplateProblem &P : Problems) {
    const char *At = A.PromptLoc.Start.getPointer() + P.Offset;
    llvm::SMRange R(llvm::SMLoc::getFromPointer(At),
                    llvm::SMLoc::getFromPointer(At + P.Length));
    C.Diags.report(DiagKind::UnknownTemplateVar, R, P.Name,
                   " in the prompt file");
  }
  return false;
}

std::optional<std::string> connectorc::renderForTask(Compilation &C,
                                                     const ir::Agent &A,
                                                     llvm::StringRef Text,
                                                     const TemplateVars &Vars) {
  if (Text.data() != A.Prompt.data()) // not the agent's prompt
    return substituteTemplate(Text, Vars);
  llvm::SmallVector<TemplateProblem, 2> Problems;
  std::string Out = expandTemplate(Text, Vars, Problems);
  if (!promptFileClean(C, A, Problems))
    return std::nullopt;
  return Out;
}

std::optional<TaskPrompt> connectorc::promptForTask(Compilation &C,
                                                    const ir::Agent &A,
                                                    const TemplateVars &Vars) {
  if (!C.Opts.LintOnly) {
    std::optional<std::string> Text = renderForTask(C, A, A.Prompt, Vars);
    if (!Text)
      return std::nullopt;
    size_t Size = Text->size();
    return TaskPrompt{std::move(*Text), Size};
  }
  llvm::SmallVector<TemplateProblem, 2> Problems;
  size_t Size = expandedSize(A.Prompt, Vars, Problems);
  if (!promptFileClean(C, A, Problems))
    return std::nullopt;
  return TaskPrompt{"", Size};
}

std::string connectorc::answerPath(llvm::StringRef Stage,
                                   llvm::StringRef Worker) {
  return fmt::format("scratchpad/{}/{}.md", Stage, Worker);
}

unsigned connectorc::addPlanStage(Compilation &C, const ir::Stage &S,
                                  std::string Name) {
  ir::PlanStage PS;
  PS.Name = std::move(Name);
  PS.Kind = S.Kind;
  PS.MaxMessages = S.MaxMessages;
  PS.TimeoutS = S.StageTimeoutS;
  C.Plan.Stages.push_back(std::move(PS));
  C.StageSource.push_back(&S);
  return static_cast<unsigned>(C.Plan.Stages.size() - 1);
}

unsigned connectorc::addTask(Compilation &C, unsigned Module,
                             unsigned PlanStage, const ir::Agent &A,
                             std::string WorkerName, unsigned Worker,
                             TaskPrompt Prompt) {
  const ir::Module &M = *C.Modules[Module];
  ir::PlanStage &PS = C.Plan.Stages[PlanStage];
  ir::Task &T = C.Plan.Tasks.emplace_back(); // in place: a Task is 760 bytes
  T.Id = PS.Name + "/" + WorkerName;
  T.Stage = PlanStage;
  T.Worker = Worker;
  T.WorkerName = std::move(WorkerName);
  if (!C.Opts.LintOnly)
    T.Prompt = std::move(Prompt.Text);
  T.ModelName = A.Model.Name;
  for (const ir::ModelUse &F : A.Failover)
    T.FailoverNames.push_back(F.Name);
  T.Machines = A.Machines;
  if (!C.Opts.LintOnly)
    T.Output = answerPath(PS.Name, T.WorkerName);
  T.TimeoutS = A.TimeoutS;
  T.Retries = A.Retries;
  T.Interactive = A.Interactive;
  T.WantTier = A.WantTier;
  T.OutputTokensHint = A.OutputTokens;
  T.InputTokensHint = A.InputTokens;
  T.Mailbox = M.Mailbox;
  T.Loc = A.Loc;
  T.ModelLoc = A.Model.Loc.Start.isValid() ? A.Model.Loc : A.Loc;
  if (C.Opts.Origins && C.OriginCache.At != A.Loc.Start.getPointer()) {
    C.OriginCache.At = A.Loc.Start.getPointer();
    C.OriginCache.Text =
        ir::originOf(C.Diags.getSourceMgr(), C.Diags.resolve(A.Loc));
  }
  T.Origin = C.OriginCache.Text;
  C.TaskModule.push_back(Module);
  C.TaskAgent.push_back(&A);
  C.PromptBytes.push_back(Prompt.Size);
  unsigned Index = static_cast<unsigned>(C.Plan.Tasks.size() - 1);
  PS.Tasks.push_back(Index);
  return Index;
}

void connectorc::applySession(const Compilation &C, ir::Task &Task,
                              const ir::Agent &A, const TemplateVars &Vars) {
  Task.Session.Env = A.Session.Env;
  Task.Session.EnvPass = A.Session.EnvPass;
  if (A.Session.Worktree.empty() && !A.Session.Sandbox &&
      A.Session.Cwd.empty() && A.Session.Setup.empty())
    return;
  Task.Session.Worktree = A.Session.Worktree.empty()
                              ? ""
                              : substituteTemplate(A.Session.Worktree, Vars);
  Task.Session.Base = A.Session.Base;
  Task.Session.Repo = A.Session.Repo;
  Task.Session.Cwd = A.Session.Cwd;
  Task.Session.Sandbox.Enabled = A.Session.Sandbox;
  Task.Session.Sandbox.Network = A.Session.Network;
  Task.Session.Sandbox.Hosts = A.Session.Hosts;
  if (C.Opts.LintOnly) // assign-sessions checks the agent's lists
    return;
  Task.Session.Copy = A.Session.Copy;
  Task.Session.Setup = A.Session.Setup;
  Task.Session.Sandbox.Write = A.Session.Write;
  Task.Session.Sandbox.Read = A.Session.Read;
}

void connectorc::expandWorkersStage(Compilation &C, unsigned Module,
                                    const ir::Stage &S, unsigned PlanStage) {
  const ir::Module &M = *C.Modules[Module];
  bool Counted = S.Agents.size() == 1 && S.Agents.front().Name.empty();
  TemplateVars Vars;
  Vars.Phase = S.Name;
  Vars.Name = M.Name;
  std::string Origin;
  for (unsigned I = 1; I <= S.Count && !S.Agents.empty(); ++I) {
    const ir::Agent &A = S.Agents[Counted ? 0 : I - 1];
    Vars.Worker = std::to_string(I);
    if (I == 1 || !Counted) // counted workers share one agent
      Vars.Model = M.modelVar(A.Model.Name);
    Vars.Machine = A.Machines.empty() ? "local" : A.Machines.front();
    std::optional<TaskPrompt> Prompt = promptForTask(C, A, Vars);
    if (!Prompt)
      return; // reported once for the stage
    unsigned T = addTask(C, Module, PlanStage, A,
                         Counted ? Vars.Worker : A.Name, I, std::move(*Prompt));
    ir::Task &Task = C.Plan.Tasks[T];
    applySession(C, Task, A, Vars);
    if (!S.Parallel && I > 1)
      Task.Deps.push_back(T - 1);
  }
  if (!S.Output.empty()) {
    ir::PlanStage &PS = C.Plan.Stages[PlanStage];
    // {worker} in a stage's output names its last worker (the final answer).
    Vars.Worker =
        PS.Tasks.empty() ? "" : C.Plan.Tasks[PS.Tasks.back()].WorkerName;
    PS.Output = substituteTemplate(S.Output, Vars);
  }
}

bool connectorc::runExpandWorkers(Compilation &C) {
  const ir::Module &M = *C.Root;
  ir::Plan &P = C.Plan;
  P.Workflow = M.Name;
  P.Description = M.Description;
  P.Source = M.Path;
  P.ProjectRoot = M.ProjectRoot;
  P.Scratchpad = M.Scratchpad;
  P.Mailbox = M.Mailbox;
  P.Cron = M.Cron;
  P.TimeZone = M.TimeZone;
  P.Machines = M.Machines;
  P.Tools = M.Tools;
  P.Notify = M.Notify;
  P.Cost.BudgetUsd = M.BudgetUsd;
  size_t Expected = 0;
  for (const ir::Stage &S : M.Stages)
    Expected += S.Kind == ir::StageKind::Workers ? S.Count : 0;
  P.Tasks.reserve(Expected);
  C.TaskModule.reserve(Expected);
  C.TaskAgent.reserve(Expected);
  C.PromptBytes.reserve(Expected);
  P.Stages.reserve(M.Stages.size());
  C.StageSource.reserve(M.Stages.size());
  for (const ir::Stage &S : M.Stages)
    addPlanStage(C, S, S.Name);
  for (unsigned I = 0; I < M.Stages.size(); ++I) {
    P.Stages[I].DependsOn = M.Stages[I].DependsOn;
    if (M.Stages[I].Kind == ir::StageKind::Workers)
      expandWorkersStage(C, 0, M.Stages[I], I);
  }
  return !C.failed();
}
