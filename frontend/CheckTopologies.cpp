//===- CheckTopologies.cpp - dialogue, meeting, mesh, team, depends_on ----===//
#include "frontend/Checker.h"
#include "frontend/Suggest.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"

using namespace connectorc;
using rapidjson::Value;

/// Reports a topology with fewer than \p Min members.
static void checkArity(DiagnosticEngine &Diags, const JsonDocument &Doc,
                       const Value &Topology, const Value *List,
                       llvm::StringRef Kind, unsigned Min,
                       llvm::StringRef Members) {
  unsigned N = List && List->IsArray() ? List->Size() : 0;
  if (N >= Min)
    return;
  Diags.report(DiagKind::TooFewParticipants,
               Doc.rangeOf(List ? *List : Topology), Kind, Min, Members, N);
}

void Checker::checkDialogue(spec::Phase &P, const Value &D) {
  P.Kind = spec::PhaseKind::Dialogue;
  const Value *Parts = member(D, "participants");
  checkArity(Diags, Doc, D, Parts, "dialogue", 2, "participants");
  bool HasPrompt = false;
  checkPrompt(D, "dialogue", HasPrompt);
  if (!Parts || !Parts->IsArray())
    return;
  for (const Value &Part : Parts->GetArray())
    if (auto U = useModel(Part))
      P.Workers.push_back({U->Name, &Part, *U, {}, {}});
}

void Checker::checkMeeting(spec::Phase &P, const Value &M) {
  P.Kind = spec::PhaseKind::Meeting;
  const Value *Parts = member(M, "participants");
  checkArity(Diags, Doc, M, Parts, "meeting", 2, "participants");
  const Value *Agenda = member(M, "agenda");
  if (!Agenda || (Agenda->IsArray() && Agenda->Empty()))
    Diags.report(DiagKind::MissingAgenda,
                 Agenda ? Doc.rangeOf(*Agenda) : Doc.keyRangeOf(M));
  bool HasPrompt = false;
  checkPrompt(M, "meeting", HasPrompt);
  if (Parts && Parts->IsArray())
    for (const Value &Part : Parts->GetArray())
      if (auto U = useModel(Part))
        P.Workers.push_back({U->Name, &Part, *U, {}, {}});
  if (const Value *Chair = member(M, "chair"))
    P.Chair = useModel(*Chair);
}

void Checker::checkMesh(spec::Phase &P, const Value &M) {
  P.Kind = spec::PhaseKind::Mesh;
  const Value *Agents = member(M, "agents");
  checkArity(Diags, Doc, M, Agents, "mesh", 2, "agents");
  if (const Value *Prompt = member(M, "prompt"); Prompt && Prompt->IsString())
    checkTemplate(*Prompt);
  if (!Agents || !Agents->IsArray())
    return;
  llvm::StringMap<const Value *> Names;
  unsigned I = 0;
  for (const Value &A : Agents->GetArray()) {
    spec::Worker Wk{std::to_string(++I), &A, {}, {}, {}};
    if (!A.IsObject())
      continue;
    if (const Value *Name = member(A, "name"); Name && Name->IsString()) {
      Wk.Name = Name->GetString();
      auto [Prev, New] = Names.try_emplace(Wk.Name, Name);
      if (!New) {
        Diags.report(DiagKind::DuplicateParticipant, Doc.rangeOf(*Name),
                     "mesh agent", Wk.Name);
        Diags.report(DiagKind::PreviousDefinition, Doc.rangeOf(*Prev->second),
                     Wk.Name);
      }
    }
    bool HasPrompt = false;
    checkPrompt(A, "mesh agent", HasPrompt);
    const Value *Model = member(A, "model");
    std::optional<spec::ModelUse> U = Model ? useModel(*Model) : std::nullopt;
    const Value *AgentName = member(A, "name");
    Wk.Model = U ? *U
               : Model ? spec::ModelUse{}
                       : defaultModel(P, AgentName ? AgentName : &A);
    Wk.Machines = useMachines(member(A, "machine"));
    checkSession(member(A, "session"));
    P.Workers.push_back(std::move(Wk));
  }
}

void Checker::checkTeam(spec::Phase &P, const Value &T) {
  P.Kind = spec::PhaseKind::Team;
  if (T.IsObject()) {
    auto Child = std::make_shared<spec::Workflow>();
    Child->Name = P.Name;
    Child->Path = W.Path;
    Child->Dir = W.Dir;
    Child->Doc = W.Doc;
    Child->Root = &T;
    FE.check(*Child);
    P.Team = std::move(Child);
    return;
  }
  if (!T.IsString())
    return;
  llvm::SmallString<256> Path;
  if (findFile(T, "team file", Path))
    P.Team = FE.loadTeam(Path, T, Doc);
}

void Checker::checkDependencies() {
  std::vector<std::string> Names;
  llvm::StringMap<unsigned> IndexOf;
  for (const spec::Phase &P : W.Phases) {
    Names.push_back(P.Name);
    IndexOf.try_emplace(P.Name, P.Index);
  }
  for (spec::Phase &P : W.Phases) {
    const Value *Deps = P.Node != W.Root ? member(*P.Node, "depends_on")
                                         : nullptr;
    if (!Deps || !Deps->IsArray()) {
      if (P.Index > 0 && P.Node != W.Root)
        P.DependsOn.push_back(P.Index - 1);
      continue;
    }
    for (const Value &D : Deps->GetArray()) {
      if (!D.IsString())
        continue;
      auto It = IndexOf.find(llvm::StringRef(D.GetString(), D.GetStringLength()));
      if (It != IndexOf.end()) {
        if (!llvm::is_contained(P.DependsOn, It->second))
          P.DependsOn.push_back(It->second);
        continue;
      }
      auto Near = nearestName(D.GetString(), Names);
      Diagnostic &Diag = Diags.report(DiagKind::UnknownPhase, Doc.rangeOf(D),
                                      D.GetString(), didYouMean(Near));
      if (Near)
        Diag.fixIt(Doc.contentsOf(D), *Near);
    }
  }
  reportCycles();
}

/// Finds each dependency cycle once, with an iterative depth-first search,
/// and reports it at the depends_on entry that closes it.
void Checker::reportCycles() {
  enum Color { White, Grey, Black };
  std::vector<Color> Colors(W.Phases.size(), White);
  std::vector<unsigned> Path;
  for (unsigned Start = 0; Start < W.Phases.size(); ++Start) {
    if (Colors[Start] != White)
      continue;
    // Stack of (phase, next edge to visit).
    std::vector<std::pair<unsigned, unsigned>> Stack{{Start, 0}};
    Colors[Start] = Grey;
    Path = {Start};
    while (!Stack.empty()) {
      auto &[Node, Edge] = Stack.back();
      const spec::Phase &P = W.Phases[Node];
      if (Edge == P.DependsOn.size()) {
        Colors[Node] = Black;
        Stack.pop_back();
        Path.pop_back();
        continue;
      }
      unsigned Dep = P.DependsOn[Edge++];
      if (Colors[Dep] == White) {
        Colors[Dep] = Grey;
        Stack.push_back({Dep, 0});
        Path.push_back(Dep);
        continue;
      }
      if (Colors[Dep] != Grey)
        continue;
      std::string Cycle;
      for (auto It = llvm::find(Path, Dep); It != Path.end(); ++It)
        Cycle += W.Phases[*It].Name + " → ";
      Cycle += W.Phases[Dep].Name;
      const Value *Deps = member(*P.Node, "depends_on");
      const Value *At = P.Node;
      if (Deps && Deps->IsArray())
        for (const Value &D : Deps->GetArray())
          if (D.IsString() && W.Phases[Dep].Name == D.GetString())
            At = &D;
      Diags.report(DiagKind::DependencyCycle, Doc.rangeOf(*At), Cycle);
    }
  }
}
