//===- CheckPhases.cpp - phases, workers, topologies, templates -----------===//
#include "frontend/Checker.h"
#include "frontend/Suggest.h"
#include "ir/Template.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace connectorc;
using rapidjson::Value;

static const char *const TopologyKeys[] = {"dialogue", "meeting", "mesh", "team"};

void Checker::collectPhases() {
  const Value *Pipeline = member(*W.Root, "pipeline");
  const Value *Phases = Pipeline ? member(*Pipeline, "phases") : nullptr;
  // A top-level dialogue/meeting/mesh is a workflow of that one phase.
  for (const char *Key : TopologyKeys) {
    const Value *T = member(*W.Root, Key);
    if (!T || llvm::StringRef(Key) == "team")
      continue;
    if (Pipeline || !W.Phases.empty()) {
      Diags.report(DiagKind::ConflictingTopology, Doc.keyRangeOf(*T),
                   fmt::format("\"{}\"", Key),
                   Pipeline ? "\"pipeline\"" : "another topology");
      continue;
    }
    spec::Phase Ph;
    Ph.Name = Key;
    Ph.Node = W.Root;
    W.Phases.push_back(std::move(Ph));
  }
  if (Phases && Phases->IsArray()) {
    W.Phases.reserve(W.Phases.size() + Phases->Size());
    for (const Value &P : Phases->GetArray()) {
      spec::Phase Ph;
      Ph.Index = static_cast<unsigned>(W.Phases.size());
      Ph.Node = &P;
      llvm::StringRef Name = stringAt(P, "name");
      Ph.Name = Name.empty() ? fmt::format("phase-{}", Ph.Index + 1) : Name.str();
      W.Phases.push_back(std::move(Ph));
    }
  }
  if (W.Phases.empty() && !(Phases && Phases->IsArray())) {
    // (an empty "phases" array is the schema's to report)
    llvm::SMLoc Start = Doc.rangeOf(*W.Root).Start;
    Diags.report(DiagKind::NoPhases, Pipeline ? Doc.keyRangeOf(*Pipeline)
                                              : llvm::SMRange(Start, Start));
  }
  // Duplicate names: report the later one, with a note at the first.
  llvm::StringMap<const spec::Phase *> Seen;
  for (const spec::Phase &P : W.Phases) {
    auto [It, New] = Seen.try_emplace(P.Name, &P);
    if (New)
      continue;
    const Value *Name = member(*P.Node, "name");
    Diags.report(DiagKind::DuplicatePhase,
                 Doc.rangeOf(Name ? *Name : *P.Node), P.Name);
    const Value *First = member(*It->second->Node, "name");
    Diags.report(DiagKind::PreviousDefinition,
                 Doc.rangeOf(First ? *First : *It->second->Node), P.Name);
  }
}

void Checker::checkPhase(spec::Phase &P) {
  const Value &N = *P.Node;
  if (!N.IsObject())
    return;
  const Value *Topology = nullptr;
  const char *TopologyKey = nullptr;
  for (const char *Key : TopologyKeys) {
    const Value *T = member(N, Key);
    if (!T)
      continue;
    if (P.Node == W.Root && llvm::StringRef(Key) != P.Name)
      continue; // shorthand: only the topology this phase was made from
    if (Topology) {
      Diags.report(DiagKind::ConflictingTopology, Doc.keyRangeOf(*T),
                   fmt::format("\"{}\"", Key),
                   fmt::format("\"{}\"", TopologyKey));
      continue;
    }
    Topology = T;
    TopologyKey = Key;
  }
  if (Topology && member(N, "workers") && P.Node != W.Root)
    Diags.report(DiagKind::ConflictingTopology,
                 Doc.keyRangeOf(*member(N, "workers")), "\"workers\"",
                 fmt::format("\"{}\"", TopologyKey));
  P.TopologyNode = Topology;
  llvm::StringRef Kind = TopologyKey ? TopologyKey : "";
  if (Kind == "dialogue")
    checkDialogue(P, *Topology);
  else if (Kind == "meeting")
    checkMeeting(P, *Topology);
  else if (Kind == "mesh")
    checkMesh(P, *Topology);
  else if (Kind == "team")
    checkTeam(P, *Topology);
  else
    checkWorkersPhase(P);
  if (P.Node == W.Root)
    return;
  checkSession(member(N, "session"));
  if (const Value *Out = member(N, "output"); Out && Out->IsString())
    checkTemplate(*Out);
}

void Checker::checkWorkersPhase(spec::Phase &P) {
  const Value &N = *P.Node;
  bool PhasePrompt = false;
  checkPrompt(N, "phase", PhasePrompt);
  const Value *PhaseModel = member(N, "model");
  std::optional<spec::ModelUse> Model =
      PhaseModel ? useModel(*PhaseModel) : std::nullopt;
  const Value *Workers = member(N, "workers");
  std::vector<std::string> Machines = useMachines(member(N, "machine"));
  bool MissingPrompt = false;
  if (Workers && Workers->IsArray()) {
    llvm::StringMap<const Value *> Names;
    unsigned I = 0;
    P.Workers.reserve(Workers->Size());
    for (const Value &WV : Workers->GetArray()) {
      spec::Worker Wk;
      Wk.Node = &WV;
      Wk.Name = std::to_string(++I);
      if (!WV.IsObject())
        continue;
      if (const Value *Name = member(WV, "name"); Name && Name->IsString()) {
        Wk.Name = Name->GetString();
        auto [It, New] = Names.try_emplace(Wk.Name, Name);
        if (!New) {
          Diags.report(DiagKind::DuplicateWorker, Doc.rangeOf(*Name), Wk.Name,
                       P.Name);
          Diags.report(DiagKind::PreviousDefinition, Doc.rangeOf(*It->second),
                       Wk.Name);
        }
      }
      bool WorkerPrompt = false;
      checkPrompt(WV, "worker", WorkerPrompt);
      MissingPrompt |= !WorkerPrompt && !PhasePrompt;
      const Value *WM = member(WV, "model");
      std::optional<spec::ModelUse> Own = WM ? useModel(*WM) : std::nullopt;
      Wk.Model = Own ? *Own : Model ? *Model
                 : WM            ? spec::ModelUse{}
                                 : defaultModel(P);
      const Value *FO = member(WV, "failover");
      Wk.Failover = useFailover(FO ? FO : member(N, "failover"), Wk.Model);
      const Value *WMach = member(WV, "machine");
      Wk.Machines = WMach ? useMachines(WMach) : Machines;
      checkSession(member(WV, "session"));
      P.Workers.push_back(std::move(Wk));
    }
  } else {
    unsigned Count = Workers && Workers->IsUint() ? Workers->GetUint() : 1;
    spec::ModelUse M = Model ? *Model : PhaseModel ? spec::ModelUse{}
                                                   : defaultModel(P);
    std::vector<spec::ModelUse> Failover =
        useFailover(member(N, "failover"), M);
    for (unsigned I = 1; I <= Count && I <= 100000; ++I)
      P.Workers.push_back({std::to_string(I), nullptr, M, Failover, Machines});
    MissingPrompt = !PhasePrompt;
  }
  if (MissingPrompt) {
    const Value *Name = member(N, "name");
    llvm::SMLoc Start = Doc.rangeOf(N).Start;
    Diags.report(DiagKind::MissingPrompt,
                 Name ? Doc.rangeOf(*Name) : llvm::SMRange(Start, Start),
                 P.Name);
  }
}

/// The model a phase with none gets: defaults.model, the only alias, or
/// Claude Code — with a warning naming the choice, once per workflow, at \p At
/// (default: the phase's name).
spec::ModelUse Checker::defaultModel(const spec::Phase &P, const Value *At) {
  std::string Name = "claude", Why = "the built-in default";
  const Value *Defaults = member(*W.Root, "defaults");
  if (llvm::StringRef D = Defaults ? stringAt(*Defaults, "model") : "";
      !D.empty()) {
    Name = D.str();
    Why = "from \"defaults\"";
  } else if (W.ModelOrder.size() == 1) {
    Name = W.ModelOrder.front();
    Why = "the only alias in \"models\"";
  }
  spec::ModelUse U{Name, {}, nullptr};
  if (auto It = W.Models.find(Name); It != W.Models.end()) {
    It->second.Used = true;
    if (It->second.Ref)
      U.Ref = *It->second.Ref;
  } else if (auto Ref = parseModelRef(Name)) {
    U.Ref = *Ref;
  }
  if (Why != "from \"defaults\"" && !WarnedDefaultModel) {
    WarnedDefaultModel = true;
    const Value *NameV = At ? nullptr : member(*P.Node, "name");
    llvm::SMLoc Start = Doc.rangeOf(At ? *At : *P.Node).Start;
    Diags.report(DiagKind::DefaultModel,
                 NameV ? Doc.rangeOf(*NameV) : llvm::SMRange(Start, Start),
                 P.Name, Name, Why);
  }
  return U;
}

/// Resolves a model name: an alias, "auto", or a known model reference.
std::optional<spec::ModelUse> Checker::useModel(const Value &Name) {
  if (Name.IsObject()) { // an inline model reference
    std::optional<ModelRef> Ref = modelRefOf("(inline)", Name);
    if (!Ref)
      return std::nullopt;
    return spec::ModelUse{Ref->str(), *Ref, &Name};
  }
  if (!Name.IsString())
    return std::nullopt;
  std::string Text = Name.GetString();
  if (auto It = W.Models.find(Text); It != W.Models.end()) {
    It->second.Used = true;
    if (!It->second.Ref)
      return std::nullopt; // already reported at the alias
    return spec::ModelUse{Text, *It->second.Ref, &Name};
  }
  if (Text == "auto") {
    // Cost routing may pick any alias of the team: none is unused.
    for (auto &A : W.Models)
      A.second.Used = true;
    return spec::ModelUse{Text, {"auto", ""}, &Name};
  }
  if (auto Ref = parseModelRef(Text))
    return spec::ModelUse{Text, *Ref, &Name};
  if (llvm::StringRef(Text).contains('/')) { // "provider/model": say what is wrong
    modelRefOf(Text, Name);
    return std::nullopt;
  }
  std::vector<std::string> Candidates(W.ModelOrder);
  for (llvm::StringRef S : knownModelShorthands())
    Candidates.push_back(S.str());
  auto Near = nearestName(Text, Candidates);
  std::string Hint = didYouMean(Near);
  if (!Near && !W.ModelOrder.empty())
    Hint = "; \"models\" defines " +
           llvm::join(llvm::map_range(W.ModelOrder,
                                      [](const std::string &S) {
                                        return "'" + S + "'";
                                      }),
                      ", ");
  Diagnostic &D =
      Diags.report(DiagKind::UnknownModel, Doc.rangeOf(Name), Text, Hint);
  if (Near)
    D.fixIt(Doc.contentsOf(Name), *Near);
  return std::nullopt;
}

std::vector<spec::ModelUse>
Checker::useFailover(const Value *List, const spec::ModelUse &Primary) {
  std::vector<spec::ModelUse> Out;
  if (!List || !List->IsArray())
    return Out;
  for (const Value &E : List->GetArray()) {
    std::optional<spec::ModelUse> U = useModel(E);
    if (!U)
      continue;
    if (!Primary.Ref.Provider.empty() && Primary.Ref.Provider != "auto" &&
        Primary.Ref.Provider != "custom" &&
        U->Ref.Provider == Primary.Ref.Provider)
      Diags.report(DiagKind::SameProviderFailover, Doc.rangeOf(E), U->Name,
                   U->Ref.Provider, Primary.Name);
    Out.push_back(*U);
  }
  return Out;
}

std::vector<std::string> Checker::useMachines(const Value *M) {
  std::vector<std::string> Out;
  if (!M)
    return Out;
  auto Use = [&](const Value &Name) {
    if (!Name.IsString())
      return;
    llvm::StringRef Text = Name.GetString();
    if (llvm::is_contained(W.Machines, Text)) {
      Out.push_back(Text.str());
      return;
    }
    auto Near = nearestName(Text, W.Machines);
    Diagnostic &D = Diags.report(DiagKind::UnknownMachine, Doc.rangeOf(Name),
                                 Text, didYouMean(Near));
    if (Near)
      D.fixIt(Doc.contentsOf(Name), *Near);
  };
  if (M->IsArray())
    for (const Value &E : M->GetArray())
      Use(E);
  else
    Use(*M);
  return Out;
}

void Checker::checkPrompt(const Value &Obj, llvm::StringRef What,
                          bool &HasPrompt) {
  (void)What;
  const Value *Prompt = member(Obj, "prompt");
  const Value *File = member(Obj, "prompt_file");
  HasPrompt = Prompt || File;
  if (Prompt && Prompt->IsString())
    checkTemplate(*Prompt);
  if (Prompt && File)
    Diags.report(DiagKind::PromptAndPromptFile, Doc.keyRangeOf(*File));
  llvm::SmallString<256> Path;
  if (File && File->IsString())
    findFile(*File, "prompt_file", Path);
}

/// Resolves the path string \p Ref against the workflow's directory into
/// \p Path; reports it (as \p What) and returns false when that is not a
/// file.
bool Checker::findFile(const Value &Ref, llvm::StringRef What,
                       llvm::SmallVectorImpl<char> &Path) {
  llvm::StringRef Given(Ref.GetString(), Ref.GetStringLength());
  Path.assign(Given.begin(), Given.end());
  if (!llvm::sys::path::is_absolute(Path))
    llvm::sys::fs::make_absolute(W.Dir.empty() ? "." : W.Dir, Path);
  llvm::StringRef Resolved(Path.data(), Path.size());
  if (llvm::sys::fs::is_regular_file(Resolved))
    return true;
  DiagKind Kind = llvm::sys::fs::is_directory(Resolved)
                      ? DiagKind::PathIsDirectory
                      : DiagKind::FileNotFound;
  Diags.report(Kind, Doc.rangeOf(Ref), What, Given, Resolved);
  return false;
}

void Checker::checkSession(const Value *Session) {
  if (!Session || !Session->IsObject())
    return;
  if (const Value *WT = member(*Session, "worktree"); WT && WT->IsString())
    checkTemplate(*WT);
}

void Checker::checkTemplate(const Value &Str) {
  llvm::SmallVector<TemplateProblem, 2> Problems;
  connectorc::checkTemplate(
      llvm::StringRef(Str.GetString(), Str.GetStringLength()), Problems);
  for (const TemplateProblem &TP : Problems) {
    llvm::SMRange R = Doc.rangeInString(Str, TP.Offset, TP.Length);
    auto Near = nearestName(TP.Name, templateVariables());
    std::string Hint =
        Near ? didYouMean(Near) : "; write '{{' for a literal brace";
    Diagnostic &D =
        Diags.report(DiagKind::UnknownTemplateVar, R, TP.Name, Hint);
    if (Near)
      D.fixIt(Doc.rangeInString(Str, TP.Offset + 1, TP.Name.size()), *Near);
  }
}
