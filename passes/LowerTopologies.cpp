//===- LowerTopologies.cpp - the lower-topologies pass --------------------===//
//
// Dialogue, meeting, mesh and team stages become tasks of the same plan:
//  - dialogue: one task per turn, participants alternating, each turn waiting
//    for (and reading) every earlier turn; `until` ends the dialogue early;
//  - meeting: per agenda item each participant speaks hearing every earlier
//    voice, then the chair closes the item with a summary;
//  - mesh: every agent at once, each with a mailbox;
//  - team: the child module's stages, inlined as `<phase>/<stage>` stages,
//    its first stages after the team stage's dependencies, the team stage
//    done when the child's last stages are.
// Executing these kinds (stopping at `until`, minutes, mesh limits) is the
// runtime's; the plan carries what it needs.
//
//===----------------------------------------------------------------------===//
#include "passes/StageLowering.h"

#include "ir/Template.h"

#include "llvm/ADT/STLExtras.h"

using namespace connectorc;

namespace {

class TopologyLowering {
public:
  explicit TopologyLowering(Compilation &C) : C(C) {}

  void lowerStage(unsigned Module, const ir::Stage &S, unsigned PlanStage);

private:
  TemplateVars varsFor(unsigned Module, const ir::Stage &S,
                       const ir::Agent &A, unsigned Worker) const {
    TemplateVars V;
    V.Worker = std::to_string(Worker);
    V.Phase = S.Name;
    V.Name = C.Modules[Module]->Name;
    V.Model = C.Modules[Module]->modelVar(A.Model.Name);
    V.Machine = A.Machines.empty() ? "local" : A.Machines.front();
    return V;
  }
  void lowerDialogue(unsigned Module, const ir::Stage &S, unsigned PS);
  void lowerMeeting(unsigned Module, const ir::Stage &S, unsigned PS);
  void lowerMesh(unsigned Module, const ir::Stage &S, unsigned PS);
  void lowerTeam(unsigned Module, const ir::Stage &S, unsigned PS);

  Compilation &C;
};

} // namespace

void TopologyLowering::lowerStage(unsigned Module, const ir::Stage &S,
                                  unsigned PS) {
  switch (S.Kind) {
  case ir::StageKind::Workers:
    expandWorkersStage(C, Module, S, PS);
    break;
  case ir::StageKind::Dialogue:
    lowerDialogue(Module, S, PS);
    break;
  case ir::StageKind::Meeting:
    lowerMeeting(Module, S, PS);
    break;
  case ir::StageKind::Mesh:
    lowerMesh(Module, S, PS);
    break;
  case ir::StageKind::Team:
    lowerTeam(Module, S, PS);
    break;
  }
  ir::PlanStage &Stage = C.Plan.Stages[PS];
  if (S.Kind != ir::StageKind::Workers && !S.Output.empty())
    Stage.Output = substituteTemplate(S.Output, varsFor(Module, S, {}, 0));
}

void TopologyLowering::lowerDialogue(unsigned Module, const ir::Stage &S,
                                     unsigned PS) {
  std::vector<unsigned> Turns;
  for (unsigned Round = 1; Round <= S.Rounds; ++Round)
    for (unsigned I = 0; I < S.Agents.size(); ++I) {
      const ir::Agent &A = S.Agents[I];
      unsigned Turn = static_cast<unsigned>(Turns.size()) + 1;
      std::optional<std::string> Prompt =
          renderForTask(C, A, A.Prompt, varsFor(Module, S, A, I + 1));
      if (!Prompt)
        return;
      *Prompt += fmt::format(
          "\n\nThis is a dialogue of {} rounds; this is round {}, and you "
          "speak as {}. The transcript so far is in your inputs.",
          S.Rounds, Round, A.Name);
      if (!S.Until.empty())
        *Prompt += fmt::format(" When you agree, say {}.", S.Until);
      unsigned T = addTask(C, Module, PS, A,
                           fmt::format("{}-{}", Round, A.Name), Turn,
                           std::move(*Prompt));
      ir::Task &Task = C.Plan.Tasks[T];
      Task.Role = "turn";
      Task.Speaker = A.Name;
      Task.Round = Round;
      Task.Until = S.Until;
      Task.Deps.append(Turns.begin(), Turns.end());
      Turns.push_back(T);
    }
}

void TopologyLowering::lowerMeeting(unsigned Module, const ir::Stage &S,
                                    unsigned PS) {
  if (S.Agents.empty())
    return; // the checker has reported it
  C.Plan.Stages[PS].Agenda.assign(S.Agenda.begin(), S.Agenda.end());
  std::vector<unsigned> Voices;
  const ir::Agent *Chair = S.ChairAgent ? &*S.ChairAgent : &S.Agents.front();
  for (const ir::Agent &A : S.Agents)
    if (A.Name == S.Chair)
      Chair = &A;
  unsigned Worker = 0;
  for (unsigned Item = 1; Item <= S.Agenda.size(); ++Item) {
    llvm::StringRef Topic = S.Agenda[Item - 1];
    for (unsigned I = 0; I < S.Agents.size(); ++I) {
      const ir::Agent &A = S.Agents[I];
      std::optional<std::string> Prompt =
          renderForTask(C, A, A.Prompt, varsFor(Module, S, A, I + 1));
      if (!Prompt)
        return;
      *Prompt += fmt::format("\n\nMeeting agenda item {}: {}\nYou speak as "
                             "{}; every earlier voice is in your inputs.",
                             Item, Topic, A.Name);
      unsigned T = addTask(C, Module, PS, A,
                           fmt::format("item{}-{}", Item, A.Name), ++Worker,
                           std::move(*Prompt));
      C.Plan.Tasks[T].Role = "voice";
      C.Plan.Tasks[T].Speaker = A.Name;
      C.Plan.Tasks[T].Round = Item;
      C.Plan.Tasks[T].Deps.append(Voices.begin(), Voices.end());
      Voices.push_back(T);
    }
    std::string Prompt = fmt::format(
        "You chair this meeting. Close agenda item {}: {}. Summarise the "
        "discussion in your inputs: the decisions, the disagreements and the "
        "next steps.",
        Item, Topic);
    unsigned T = addTask(C, Module, PS, *Chair,
                         fmt::format("item{}-summary", Item), ++Worker,
                         std::move(Prompt));
    C.Plan.Tasks[T].Role = "summary";
    C.Plan.Tasks[T].Speaker = Chair->Name;
    C.Plan.Tasks[T].Round = Item;
    C.Plan.Tasks[T].Deps.append(Voices.begin(), Voices.end());
    Voices.push_back(T);
  }
}

void TopologyLowering::lowerMesh(unsigned Module, const ir::Stage &S,
                                 unsigned PS) {
  for (unsigned I = 0; I < S.Agents.size(); ++I) {
    const ir::Agent &A = S.Agents[I];
    TemplateVars Vars = varsFor(Module, S, A, I + 1);
    std::optional<std::string> Prompt = renderForTask(C, A, A.Prompt, Vars);
    if (!Prompt)
      return;
    const std::optional<ir::Agent> &Shared = S.SharedPrompt;
    if (Shared && A.PromptLoc.Start != Shared->PromptLoc.Start) {
      std::optional<std::string> Goal =
          renderForTask(C, *Shared, Shared->Prompt, Vars);
      if (!Goal)
        return;
      Prompt = *Goal + "\n\n" + *Prompt;
    }
    unsigned T = addTask(C, Module, PS, A, A.Name, I + 1, std::move(*Prompt));
    C.Plan.Tasks[T].Role = "agent";
    C.Plan.Tasks[T].Mailbox = true;
    // One task per agent, so its session is unambiguous (a dialogue's or a
    // meeting's turns of one participant would need to share one).
    applySession(C, C.Plan.Tasks[T], A, Vars);
  }
}

void TopologyLowering::lowerTeam(unsigned Module, const ir::Stage &S,
                                 unsigned PS) {
  if (!S.Team)
    return;
  const ir::Module &Child = *S.Team;
  unsigned ChildIndex = static_cast<unsigned>(C.Modules.size());
  C.Modules.push_back(&Child);
  C.ModuleParent.push_back(Module);
  std::string Prefix = C.Plan.Stages[PS].Name;
  std::vector<unsigned> Inner; // plan stage of each child stage
  for (const ir::Stage &CS : Child.Stages)
    Inner.push_back(addPlanStage(C, CS, Prefix + "/" + CS.Name));
  std::vector<bool> HasDependent(Child.Stages.size(), false);
  for (unsigned I = 0; I < Child.Stages.size(); ++I) {
    ir::PlanStage &Stage = C.Plan.Stages[Inner[I]];
    for (unsigned D : Child.Stages[I].DependsOn) {
      Stage.DependsOn.push_back(Inner[D]);
      HasDependent[D] = true;
    }
    if (Child.Stages[I].DependsOn.empty()) // a first stage of the team
      Stage.DependsOn = C.Plan.Stages[PS].DependsOn;
  }
  // The team stage has no tasks of its own: it is done when the child's last
  // stages are, and so its dependents wait for the whole team.
  ir::PlanStage &Team = C.Plan.Stages[PS];
  Team.DependsOn.clear();
  for (unsigned I = 0; I < Child.Stages.size(); ++I)
    if (!HasDependent[I])
      Team.DependsOn.push_back(Inner[I]);
  for (unsigned I = 0; I < Child.Stages.size(); ++I)
    lowerStage(ChildIndex, Child.Stages[I], Inner[I]);
}

bool connectorc::runLowerTopologies(Compilation &C) {
  TopologyLowering L(C);
  const ir::Module &M = *C.Root;
  for (unsigned I = 0; I < M.Stages.size(); ++I)
    if (M.Stages[I].Kind != ir::StageKind::Workers)
      L.lowerStage(0, M.Stages[I], I);
  return !C.failed();
}
