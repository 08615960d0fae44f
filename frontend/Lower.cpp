//===- Lower.cpp - a checked workflow to ir::Module -----------------------===//
//
// Lowering reads a workflow the checker has accepted: shapes are known to be
// right (the schema held), references resolve (the checker resolved them into
// spec::Workflow). What is left is to gather each value into its typed home,
// merge defaults → phase → worker, and keep every source range.
//
//===----------------------------------------------------------------------===//
#include "frontend/Lower.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace connectorc;
using rapidjson::Value;

std::string connectorc::findProjectRoot(llvm::StringRef Dir) {
  llvm::SmallString<256> Abs(Dir.empty() ? "." : Dir);
  llvm::sys::fs::make_absolute(Abs);
  llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  if (std::optional<std::string> Repo = ir::enclosingGitRepo(Abs))
    return *Repo;
  return std::string(Abs);
}

namespace {

class Lowerer {
public:
  /// \p Inherited: the defaults of the workflow that runs this one as a
  /// team, which bind it where its own defaults are silent.
  Lowerer(const spec::Workflow &W, DiagnosticEngine &Diags,
          const ir::Agent *Inherited)
      : W(W), Diags(Diags), Inherited(Inherited) {}

  std::shared_ptr<ir::Module> run();

private:
  static const Value *member(const Value *Obj, llvm::StringRef Key) {
    return Obj ? findMember(*Obj, Key) : nullptr;
  }
  static std::string str(const Value *V) {
    return V && V->IsString() ? std::string(V->GetString(), V->GetStringLength())
                              : std::string();
  }
  static std::vector<std::string> strings(const Value *V) {
    std::vector<std::string> Out;
    if (V && V->IsArray())
      for (const Value &E : V->GetArray())
        if (E.IsString())
          Out.push_back(str(&E));
    return Out;
  }
  static ir::EnvList env(const Value *V) {
    ir::EnvList Out;
    if (V && V->IsObject())
      for (auto &M : V->GetObject())
        Out.emplace_back(str(&M.name), M.value.IsString() ? str(&M.value) : "");
    return Out;
  }
  /// Deferred: most ranges are never printed, and finding the real ones
  /// costs a second parse of the file (13% of lint's instructions on the
  /// benchmark spec, callgrind). The engine resolves them when reported.
  static llvm::SMRange range(const Value *V) {
    return V ? deferredRange(V) : llvm::SMRange();
  }
  /// The range of each string entry of an array, as strings() keeps them.
  std::vector<llvm::SMRange> entryRanges(const Value *V) const {
    std::vector<llvm::SMRange> Out;
    if (V && V->IsArray())
      for (const Value &E : V->GetArray())
        if (E.IsString())
          Out.push_back(range(&E));
    return Out;
  }

  void lowerModels();
  std::string useModel(const spec::ModelUse &U);
  std::optional<spec::ModelUse> resolveName(const Value &E) const;
  ir::Model modelFromNode(const std::string &Name, const ModelRef &Ref,
                          const Value *Node);
  void lowerMachines();
  void lowerTools();
  void lowerHeader();
  void lowerStage(const spec::Phase &P);
  void lowerChair(ir::Stage &S, const spec::Phase &P, const ir::Agent &Base);
  void mergeSession(ir::SessionSpec &S, const Value *Session);
  void applyCommon(ir::Agent &A, const Value *Obj);
  void readPrompt(ir::Agent &A, const Value *Obj);
  ir::Agent agentFor(const spec::Worker &Wk, const ir::Agent &Base);

  const spec::Workflow &W;
  DiagnosticEngine &Diags;
  std::shared_ptr<ir::Module> M;
  unsigned InlineModels = 0;
  ir::Agent Defaults; ///< defaults.session/timeout/retries as an agent
  const ir::Agent *Inherited;
};

} // namespace

std::shared_ptr<ir::Module> Lowerer::run() {
  M = std::make_shared<ir::Module>();
  M->Name = W.Name;
  M->Path = W.Path;
  M->ProjectRoot = findProjectRoot(W.Dir);
  lowerHeader();
  lowerModels();
  lowerMachines();
  lowerTools();
  const Value *D = member(W.Root, "defaults");
  if (Inherited)
    Defaults = *Inherited;
  else
    Defaults.TimeoutS = 30 * 60;
  applyCommon(Defaults, D);
  if (const Value *FO = member(D, "failover"); FO && FO->IsArray())
    for (const Value &E : FO->GetArray())
      if (std::optional<spec::ModelUse> U = resolveName(E))
        M->DefaultFailover.push_back({useModel(*U), range(&E)});
  M->Stages.reserve(W.Phases.size()); // a Stage is 1,408 bytes to move
  for (const spec::Phase &P : W.Phases)
    lowerStage(P);
  return M;
}

void Lowerer::lowerHeader() {
  M->Description = str(member(W.Root, "description"));
  if (const Value *S = member(W.Root, "schedule")) {
    M->ScheduleLoc = range(S);
    if (S->IsString()) {
      M->Cron = str(S);
    } else {
      M->Cron = str(member(S, "cron"));
      M->TimeZone = str(member(S, "timezone"));
    }
  }
  if (const Value *B = member(W.Root, "budget")) {
    const Value *Usd = B->IsNumber() ? B : member(B, "usd");
    if (Usd && Usd->IsNumber()) {
      M->BudgetUsd = Usd->GetDouble();
      M->BudgetLoc = range(Usd);
    }
  }
  if (const Value *N = member(W.Root, "notify"); N && N->IsObject()) {
    M->Notify.Webhook = str(member(N, "webhook"));
    if (const Value *T = member(N, "timeout_s"); T && T->IsNumber())
      M->Notify.TimeoutS = T->GetDouble();
  }
  const Value *Pipeline = member(W.Root, "pipeline");
  M->Scratchpad = true; // answers always land in the scratchpad tree
  if (const Value *S = member(Pipeline, "scratchpad"); S && S->IsBool())
    M->Scratchpad = S->GetBool();
  if (const Value *Mb = member(Pipeline, "mailbox"); Mb && Mb->IsBool())
    M->Mailbox = Mb->GetBool();
}

std::optional<spec::ModelUse> Lowerer::resolveName(const Value &E) const {
  if (!E.IsString())
    return std::nullopt;
  std::string Name = str(&E);
  if (auto It = W.Models.find(Name); It != W.Models.end())
    return It->second.Ref ? std::optional<spec::ModelUse>(
                                spec::ModelUse{Name, *It->second.Ref, &E})
                          : std::nullopt;
  if (Name == "auto")
    return spec::ModelUse{Name, {"auto", ""}, &E};
  if (std::optional<ModelRef> Ref = parseModelRef(Name))
    return spec::ModelUse{Name, *Ref, &E};
  return std::nullopt;
}

/// The object (or string) an alias finally stands for, following
/// alias-to-alias links (the checker has ruled out cycles).
static const Value *finalNode(const spec::Workflow &W, const spec::Alias &A) {
  const spec::Alias *Cur = &A;
  for (size_t Steps = 0; !Cur->Target.empty() && Steps <= W.Models.size();
       ++Steps) {
    auto It = W.Models.find(Cur->Target);
    if (It == W.Models.end())
      break;
    Cur = &It->second;
  }
  return Cur->Node;
}

ir::Model Lowerer::modelFromNode(const std::string &Name, const ModelRef &Ref,
                                 const Value *Node) {
  ir::Model Out;
  Out.Name = Name;
  Out.Ref = Ref;
  Out.Loc = range(Node);
  if (!Node || !Node->IsObject())
    return Out;
  Out.Command = strings(member(Node, "command"));
  Out.Args = strings(member(Node, "args"));
  Out.Via = ir::parsePromptVia(str(member(Node, "prompt_via")));
  if (const Value *C = member(Node, "cost"); C && C->IsObject()) {
    ir::Price P;
    if (const Value *In = member(C, "input_per_mtok"); In && In->IsNumber())
      P.InputPerMTok = In->GetDouble();
    if (const Value *O = member(C, "output_per_mtok"); O && O->IsNumber())
      P.OutputPerMTok = O->GetDouble();
    Out.Cost = P;
  }
  Out.ModelTier = ir::parseTier(str(member(Node, "tier")));
  Out.ReadyPattern = str(member(Node, "ready_pattern"));
  Out.Env = env(member(Node, "env"));
  return Out;
}

void Lowerer::lowerModels() {
  for (const std::string &Name : W.ModelOrder) {
    const spec::Alias &A = W.Models.find(Name)->second;
    if (!A.Ref)
      continue;
    ir::Model Mo = modelFromNode(Name, *A.Ref, finalNode(W, A));
    Mo.IsAlias = true;
    Mo.Loc = range(A.Node);
    M->Models.push_back(std::move(Mo));
  }
}

/// The model table entry for a use, added on first use for direct refs and
/// inline objects. Returns its name.
std::string Lowerer::useModel(const spec::ModelUse &U) {
  if (U.Node && U.Node->IsObject()) {
    std::string Name = fmt::format("inline-{}", ++InlineModels);
    M->Models.push_back(modelFromNode(Name, U.Ref, U.Node));
    M->Models.back().IsInline = true;
    return Name;
  }
  if (!M->findModel(U.Name)) {
    ir::Model Mo;
    Mo.Name = U.Name;
    Mo.Ref = U.Ref;
    Mo.Loc = range(U.Node);
    M->Models.push_back(std::move(Mo));
  }
  return U.Name;
}

void Lowerer::lowerMachines() {
  const Value *Ms = member(W.Root, "machines");
  if (!Ms || !Ms->IsObject())
    return;
  for (auto &E : Ms->GetObject()) {
    ir::Machine Mc;
    Mc.Name = str(&E.name);
    Mc.Loc = range(&E.value);
    if (E.value.IsString()) {
      Mc.Host = str(&E.value);
    } else {
      const Value *V = &E.value;
      Mc.Host = str(member(V, "host"));
      Mc.User = str(member(V, "user"));
      if (const Value *P = member(V, "port"); P && P->IsUint())
        Mc.Port = P->GetUint();
      Mc.Identity = str(member(V, "identity"));
      Mc.SshConfig = str(member(V, "ssh_config"));
      Mc.Options = strings(member(V, "options"));
      Mc.Workdir = str(member(V, "workdir"));
      Mc.Connectorc = str(member(V, "connectorc"));
    }
    M->Machines.push_back(std::move(Mc));
  }
}

void Lowerer::lowerTools() {
  const Value *Mcp = member(member(W.Root, "tools"), "mcp");
  if (!Mcp)
    return;
  if (Mcp->IsArray()) {
    for (const std::string &Name : strings(Mcp))
      M->Tools.push_back({Name, "", {}, {}});
    return;
  }
  if (!Mcp->IsObject())
    return;
  for (auto &E : Mcp->GetObject())
    M->Tools.push_back({str(&E.name), str(member(&E.value, "command")),
                        strings(member(&E.value, "args")),
                        env(member(&E.value, "env"))});
}

/// Applies a "session" object over \p S, key by key.
void Lowerer::mergeSession(ir::SessionSpec &S, const Value *Session) {
  if (!Session || !Session->IsObject())
    return;
  if (const Value *WT = member(Session, "worktree")) {
    S.WorktreeLoc = range(WT);
    if (WT->IsString())
      S.Worktree = str(WT);
    else if (WT->IsBool())
      S.Worktree = WT->GetBool() ? "{phase}-{worker}" : "";
  }
  if (const Value *B = member(Session, "base"); B && B->IsString())
    S.Base = str(B);
  if (const Value *R = member(Session, "repo"); R && R->IsString()) {
    S.Repo = str(R);
    S.RepoLoc = range(R);
  }
  if (const Value *C = member(Session, "copy")) {
    S.Copy = strings(C);
    S.CopyLocs = entryRanges(C);
  }
  if (const Value *Su = member(Session, "setup"))
    S.Setup = strings(Su);
  if (const Value *C = member(Session, "cwd"); C && C->IsString()) {
    S.Cwd = str(C);
    S.CwdLoc = range(C);
  }
  if (const Value *Sb = member(Session, "sandbox")) {
    if (Sb->IsBool()) {
      S.Sandbox = Sb->GetBool();
    } else if (Sb->IsObject()) {
      S.Sandbox = true;
      if (const Value *N = member(Sb, "network")) {
        if (N->IsBool()) {
          S.Network = N->GetBool() ? ir::SandboxNet::Full : ir::SandboxNet::None;
          S.Hosts.clear();
        } else if (N->IsArray()) {
          S.Network = ir::SandboxNet::Provider;
          S.Hosts = strings(N);
        }
      }
      if (const Value *Wr = member(Sb, "write")) {
        S.Write = strings(Wr);
        S.WriteLocs = entryRanges(Wr);
      }
      if (const Value *Rd = member(Sb, "read")) {
        S.Read = strings(Rd);
        S.ReadLocs = entryRanges(Rd);
      }
    }
  }
  if (const Value *E = member(Session, "env"); E && E->IsObject()) {
    S.EnvLoc = range(E);
    // Merged by name: a phase's value replaces the defaults' one.
    for (auto &[Name, Value] : env(E)) {
      auto It = llvm::find_if(S.Env, [&Name = Name](const auto &P) {
        return P.first == Name;
      });
      if (It != S.Env.end())
        It->second = Value;
      else
        S.Env.emplace_back(Name, Value);
    }
  }
  if (const Value *EP = member(Session, "env_pass"))
    S.EnvPassLoc = range(EP);
  if (const Value *EP = member(Session, "env_pass"))
    for (std::string &Name : strings(EP))
      if (!llvm::is_contained(S.EnvPass, Name))
        S.EnvPass.push_back(std::move(Name));
}

/// Applies the keys a defaults object, a phase and a worker share.
void Lowerer::applyCommon(ir::Agent &A, const Value *Obj) {
  if (!Obj || !Obj->IsObject())
    return;
  mergeSession(A.Session, member(Obj, "session"));
  if (const Value *T = member(Obj, "timeout"); T && T->IsString())
    if (std::optional<double> S = ir::parseDuration(str(T)))
      A.TimeoutS = *S;
  if (const Value *R = member(Obj, "retries"); R && R->IsUint())
    A.Retries = R->GetUint();
  if (const Value *I = member(Obj, "interactive"); I && I->IsBool()) {
    A.Interactive = I->GetBool();
    A.InteractiveLoc = range(I);
  }
  if (std::optional<ir::Tier> T = ir::parseTier(str(member(Obj, "tier"))))
    A.WantTier = *T;
  if (const Value *E = member(Obj, "estimate"); E && E->IsObject()) {
    if (const Value *O = member(E, "output_tokens"); O && O->IsUint64())
      A.OutputTokens = O->GetUint64();
    if (const Value *I = member(E, "input_tokens"); I && I->IsUint64())
      A.InputTokens = I->GetUint64();
  }
}

/// Reads "prompt" or "prompt_file" of \p Obj into \p A, when it has one.
void Lowerer::readPrompt(ir::Agent &A, const Value *Obj) {
  if (const Value *P = member(Obj, "prompt"); P && P->IsString()) {
    A.Prompt = str(P);
    A.PromptLoc = range(P);
    A.PromptFromFile = false;
    return;
  }
  const Value *F = member(Obj, "prompt_file");
  if (!F || !F->IsString())
    return;
  llvm::SmallString<256> Path(str(F));
  if (!llvm::sys::path::is_absolute(Path))
    llvm::sys::fs::make_absolute(W.Dir.empty() ? "." : W.Dir, Path);
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!Buf) {
    Diags.report(DiagKind::FileNotFound, range(F), "prompt_file", str(F),
                 Path.str());
    return;
  }
  llvm::SourceMgr &SM = Diags.getSourceMgr();
  llvm::StringRef Text = (*Buf)->getBuffer();
  A.Prompt = Text.str();
  // The file joins the source manager so a bad template in it gets a caret.
  unsigned Id = SM.AddNewSourceBuffer(std::move(*Buf), llvm::SMLoc());
  const llvm::MemoryBuffer *B = SM.getMemoryBuffer(Id);
  A.PromptLoc = {llvm::SMLoc::getFromPointer(B->getBufferStart()),
                 llvm::SMLoc::getFromPointer(B->getBufferEnd())};
  A.PromptFromFile = true;
}

/// An agent from a checked worker, over the phase's settings in \p Base.
ir::Agent Lowerer::agentFor(const spec::Worker &Wk, const ir::Agent &Base) {
  ir::Agent A = Base;
  A.Name = Wk.Name;
  if (Wk.Node) {
    A.Loc = range(Wk.Node);
    if (Wk.Node->IsObject()) {
      applyCommon(A, Wk.Node);
      readPrompt(A, Wk.Node);
    }
  }
  if (!Wk.Model.Name.empty())
    A.Model = {useModel(Wk.Model), range(Wk.Model.Node)};
  A.Failover.clear();
  for (const spec::ModelUse &F : Wk.Failover)
    A.Failover.push_back({useModel(F), range(F.Node)});
  A.Machines = Wk.Machines;
  return A;
}

/// A meeting's chair: the participant it names, else an agent of its own
/// with the phase's settings (the chair need not be a participant).
void Lowerer::lowerChair(ir::Stage &S, const spec::Phase &P,
                         const ir::Agent &Base) {
  if (!P.Chair) {
    if (!S.Agents.empty())
      S.Chair = S.Agents.front().Name;
    return;
  }
  S.Chair = P.Chair->Name;
  if (llvm::any_of(S.Agents,
                   [&](const ir::Agent &A) { return A.Name == S.Chair; }))
    return;
  ir::Agent Chair = Base;
  Chair.Name = S.Chair;
  Chair.Loc = range(P.Chair->Node);
  Chair.Model = {useModel(*P.Chair), Chair.Loc};
  Chair.Failover.clear();
  S.ChairAgent = std::move(Chair);
}

void Lowerer::lowerStage(const spec::Phase &P) {
  ir::Stage S;
  S.Name = P.Name;
  S.Loc = range(P.Node);
  S.DependsOn = P.DependsOn;
  const Value *Node = P.Node == W.Root ? nullptr : P.Node;
  const Value *T = P.TopologyNode;
  ir::Agent Base = Defaults;
  Base.Loc = S.Loc;
  applyCommon(Base, Node);
  readPrompt(Base, Node);
  if (Base.Prompt.empty() && T)
    readPrompt(Base, T);
  if (Base.Prompt.empty() && !T) {
    // The spec's rule for fragments without a prompt (warned by the checker).
    Base.Prompt = M->Description.empty()
                      ? fmt::format("Phase: {}.", P.Name)
                      : fmt::format("Phase: {}. {}", P.Name, M->Description);
  }
  if (const Value *O = member(Node, "output"); O && O->IsString()) {
    S.Output = str(O);
    S.OutputLoc = range(O);
  }
  S.Agents.reserve(P.Workers.size()); // an Agent is 552 bytes to move
  switch (P.Kind) {
  case spec::PhaseKind::Workers: {
    S.Kind = ir::StageKind::Workers;
    const Value *Workers = member(Node, "workers");
    bool Counted = !(Workers && Workers->IsArray());
    if (Counted && !P.Workers.empty()) {
      // "workers": N — one agent, expanded by the expand-workers pass.
      S.Count = static_cast<unsigned>(P.Workers.size());
      spec::Worker One = P.Workers.front();
      One.Node = nullptr;
      S.Agents.push_back(agentFor(One, Base));
      S.Agents.back().Name.clear();
    } else {
      for (const spec::Worker &Wk : P.Workers)
        S.Agents.push_back(agentFor(Wk, Base));
      S.Count = static_cast<unsigned>(S.Agents.size());
    }
    const Value *Par = member(Node, "parallel");
    S.Parallel = Par && Par->IsBool() ? Par->GetBool() : true;
    break;
  }
  case spec::PhaseKind::Dialogue:
    S.Kind = ir::StageKind::Dialogue;
    if (const Value *R = member(T, "rounds"); R && R->IsUint())
      S.Rounds = R->GetUint();
    else
      S.Rounds = 3;
    S.Until = str(member(T, "until"));
    break;
  case spec::PhaseKind::Meeting:
    S.Kind = ir::StageKind::Meeting;
    S.Agenda = strings(member(T, "agenda"));
    break;
  case spec::PhaseKind::Mesh:
    S.Kind = ir::StageKind::Mesh;
    if (const Value *Mm = member(T, "max_messages"); Mm && Mm->IsUint())
      S.MaxMessages = Mm->GetUint();
    if (const Value *To = member(T, "timeout"); To && To->IsString())
      S.StageTimeoutS = ir::parseDuration(str(To)).value_or(0);
    break;
  case spec::PhaseKind::Team:
    S.Kind = ir::StageKind::Team;
    if (P.Team)
      S.Team = Lowerer(*P.Team, Diags, &Defaults).run();
    break;
  }
  if (P.Kind == spec::PhaseKind::Dialogue || P.Kind == spec::PhaseKind::Meeting ||
      P.Kind == spec::PhaseKind::Mesh) {
    // Participants named twice get distinct names ("architect", "architect-2").
    llvm::StringMap<unsigned> Seen;
    for (const spec::Worker &Wk : P.Workers) {
      ir::Agent A = agentFor(Wk, Base);
      unsigned N = ++Seen[A.Name];
      if (N > 1)
        A.Name += fmt::format("-{}", N);
      S.Agents.push_back(std::move(A));
    }
    S.Count = static_cast<unsigned>(S.Agents.size());
  }
  if (S.Kind == ir::StageKind::Meeting)
    lowerChair(S, P, Base);
  // A mesh's own prompt is the team's shared goal: every agent gets it (an
  // agent without a prompt of its own has it as Base's).
  if (S.Kind == ir::StageKind::Mesh && !Base.Prompt.empty())
    S.SharedPrompt = Base;
  M->Stages.push_back(std::move(S));
}

std::shared_ptr<ir::Module>
connectorc::lowerWorkflow(const spec::Workflow &W, DiagnosticEngine &Diags) {
  return Lowerer(W, Diags, nullptr).run();
}
