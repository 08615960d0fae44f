//===- Plan.cpp - the plan's invariants -----------------------------------===//
#include "ir/Plan.h"

#include "ir/Fmt.h"
#include "ir/PatternSize.h"

#include <algorithm>

#include "llvm/ADT/StringSet.h"

#include <algorithm>

using namespace connectorc;

/// The first broken invariant of \p P, or "" when it holds.
std::string ir::verifyPlan(const ir::Plan &P) {
  size_t NT = P.Tasks.size(), NS = P.Stages.size();
  llvm::StringSet<> Ids;
  for (const ir::Task &T : P.Tasks) {
    if (!Ids.insert(T.Id).second)
      return fmt::format("task id '{}' is not unique", T.Id);
    if (T.Stage >= NS)
      return fmt::format("task '{}' is in stage {} of {}", T.Id, T.Stage, NS);
    if (T.Candidates.empty())
      return fmt::format("task '{}' has no model candidate", T.Id);
    for (unsigned B : T.Candidates)
      if (B >= P.Bindings.size())
        return fmt::format("task '{}' names binding {} of {}", T.Id, B,
                           P.Bindings.size());
    for (unsigned D : T.Deps)
      if (D >= NT)
        return fmt::format("task '{}' depends on task {} of {}", T.Id, D, NT);
    if (T.Machines.empty())
      return fmt::format("task '{}' has no machine", T.Id);
  }
  for (const ir::ModelBinding &B : P.Bindings) {
    std::vector<llvm::StringRef> Patterns = {B.ReadyPattern, B.IdlePattern};
    for (const ir::FailurePattern &F : B.Failures)
      Patterns.push_back(F.Pattern);
    for (llvm::StringRef Pattern : Patterns)
      if (std::optional<std::string> Why = patternTooLarge(Pattern))
        return fmt::format("binding '{}': pattern '{}' is too large: {}", B.Id,
                           Pattern, *Why);
  }
  llvm::StringSet<> Stages;
  for (unsigned S = 0; S < NS; ++S) {
    if (!Stages.insert(P.Stages[S].Name).second)
      return fmt::format("stage name '{}' is not unique", P.Stages[S].Name);
    for (unsigned D : P.Stages[S].DependsOn)
      if (D >= NS)
        return fmt::format("stage '{}' depends on stage {} of {}",
                           P.Stages[S].Name, D, NS);
    for (unsigned T : P.Stages[S].Tasks)
      if (T >= NT || P.Tasks[T].Stage != S)
        return fmt::format("stage '{}' lists a task not its own",
                           P.Stages[S].Name);
  }
  // Kahn's algorithm over tasks, stage starts and stage ends: a stage starts
  // when the stages it depends on have ended; its tasks run after its start;
  // it ends after its start and all its tasks.
  size_t N = NT + 2 * NS;
  auto Start = [&](unsigned S) { return NT + 2 * S; };
  auto End = [&](unsigned S) { return NT + 2 * S + 1; };
  std::vector<std::vector<unsigned>> Out(N);
  std::vector<unsigned> In(N, 0);
  auto Edge = [&](size_t From, size_t To) {
    Out[From].push_back(static_cast<unsigned>(To));
    ++In[To];
  };
  for (unsigned S = 0; S < NS; ++S) {
    Edge(Start(S), End(S));
    for (unsigned D : P.Stages[S].DependsOn)
      Edge(End(D), Start(S));
  }
  for (unsigned T = 0; T < NT; ++T) {
    Edge(Start(P.Tasks[T].Stage), T);
    Edge(T, End(P.Tasks[T].Stage));
    for (unsigned D : P.Tasks[T].Deps)
      Edge(D, T);
  }
  std::vector<unsigned> Ready;
  for (unsigned I = 0; I < N; ++I)
    if (!In[I])
      Ready.push_back(I);
  size_t Done = 0;
  while (!Ready.empty()) {
    unsigned I = Ready.back();
    Ready.pop_back();
    ++Done;
    for (unsigned J : Out[I])
      if (!--In[J])
        Ready.push_back(J);
  }
  if (Done != N)
    for (unsigned T = 0; T < NT; ++T)
      if (In[T])
        return fmt::format("task '{}' is on a dependency cycle", P.Tasks[T].Id);
  if (Done != N)
    return "the stages' dependencies form a cycle";
  return "";
}

std::vector<unsigned> ir::taskInputs(const Plan &P, unsigned T) {
  std::vector<unsigned> Out(P.Tasks[T].Deps.begin(), P.Tasks[T].Deps.end());
  const PlanStage &Own = P.Stages[P.Tasks[T].Stage];
  std::vector<unsigned> Stages(Own.DependsOn.begin(), Own.DependsOn.end());
  std::vector<bool> Seen(P.Stages.size(), false);
  while (!Stages.empty()) {
    unsigned S = Stages.back();
    Stages.pop_back();
    if (Seen[S])
      continue;
    Seen[S] = true;
    Out.insert(Out.end(), P.Stages[S].Tasks.begin(), P.Stages[S].Tasks.end());
    if (P.Stages[S].Tasks.empty())
      Stages.insert(Stages.end(), P.Stages[S].DependsOn.begin(),
                    P.Stages[S].DependsOn.end());
  }
  return Out;
}

std::string ir::stageRecordPath(const PlanStage &S) {
  switch (S.Kind) {
  case StageKind::Dialogue:
    return "scratchpad/" + S.Name + "/dialogue.md";
  case StageKind::Meeting:
    return "scratchpad/" + S.Name + "/minutes.md";
  default:
    return "";
  }
}

std::vector<std::string> ir::inputFiles(const Plan &P, unsigned T) {
  std::vector<std::string> Out;
  std::vector<bool> Recorded(P.Stages.size(), false);
  for (unsigned D : taskInputs(P, T)) {
    unsigned S = P.Tasks[D].Stage;
    std::string Record = stageRecordPath(P.Stages[S]);
    if (S == P.Tasks[T].Stage || Record.empty())
      Out.push_back(P.Tasks[D].Output);
    else if (!Recorded[S]) {
      Recorded[S] = true;
      Out.push_back(std::move(Record));
    }
  }
  return Out;
}

std::string ir::stageRecordTitle(const PlanStage &S) {
  bool Meeting = S.Kind == StageKind::Meeting;
  return fmt::format("# {}: {}\n", Meeting ? "Minutes" : "Dialogue", S.Name);
}

std::string ir::stageRecordItem(const PlanStage &S, unsigned Item) {
  llvm::StringRef Topic;
  if (Item >= 1 && Item <= S.Agenda.size())
    Topic = S.Agenda[Item - 1];
  return fmt::format("\n## Item {}: {}\n", Item, Topic);
}

std::string ir::stageRecordHeading(const PlanStage &S, const Task &T) {
  if (S.Kind != StageKind::Meeting)
    return fmt::format("\n## Round {}: {}\n\n", T.Round, T.Speaker);
  return fmt::format("\n### {}{}\n\n",
                     T.Role == "summary" ? "Summary by " : "", T.Speaker);
}

std::string ir::renderStageRecord(
    const Plan &P, unsigned S,
    llvm::function_ref<std::optional<std::string>(unsigned)> Answer) {
  const PlanStage &Stage = P.Stages[S];
  bool Meeting = Stage.Kind == StageKind::Meeting;
  std::string Out = stageRecordTitle(Stage);
  unsigned Item = 0;
  for (unsigned T : Stage.Tasks) {
    std::optional<std::string> Text = Answer(T);
    if (!Text)
      continue;
    const Task &Tk = P.Tasks[T];
    if (Meeting && Tk.Round != Item) {
      Item = Tk.Round;
      Out += stageRecordItem(Stage, Item);
    }
    Out += stageRecordHeading(Stage, Tk);
    Out += llvm::StringRef(*Text).rtrim('\n');
    Out += "\n";
  }
  return Out;
}

std::string ir::mailboxName(const Plan &P, unsigned T) {
  const Task &Own = P.Tasks[T];
  bool Shared = llvm::any_of(P.Tasks, [&](const Task &Other) {
    return &Other != &Own && Other.Mailbox &&
           Other.WorkerName == Own.WorkerName;
  });
  if (!Shared)
    return Own.WorkerName;
  std::string Name = Own.Id;
  std::replace(Name.begin(), Name.end(), '/', '.');
  return Name;
}
