//===- Checker.cpp - header, models, machines, schedule -------------------===//
#include "frontend/Checker.h"
#include "frontend/Suggest.h"
#include "ir/Mcp.h"
#include "ir/SshOption.h"
#include "ir/WebhookUrl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

using namespace connectorc;
using rapidjson::Value;

const Value *Checker::member(const Value &Obj, llvm::StringRef Key) const {
  return findMember(Obj, Key);
}

llvm::StringRef Checker::stringAt(const Value &Obj, llvm::StringRef Key) const {
  const Value *V = member(Obj, Key);
  return V && V->IsString() ? llvm::StringRef(V->GetString(), V->GetStringLength())
                            : llvm::StringRef();
}

void Checker::run() {
  if (!W.Root->IsObject())
    return; // the schema has said it must be an object
  checkHeader();
  collectModels();
  collectMachines();
  checkSchedule();
  checkTools();
  checkNotify();
  checkDefaults();
  collectPhases();
  for (spec::Phase &P : W.Phases)
    checkPhase(P);
  checkDependencies();
  reportUnusedAliases();
}

/// "2", "2.0", "2.13" are version 2.x.
static bool isVersion2(llvm::StringRef V) {
  auto [Major, Minor] = V.split('.');
  return Major == "2" &&
         (!V.contains('.') ||
          (!Minor.empty() && llvm::all_of(Minor, llvm::isDigit)));
}

void Checker::checkTools() {
  const Value *Tools = member(*W.Root, "tools");
  const Value *Mcp = Tools ? member(*Tools, "mcp") : nullptr;
  if (!Mcp || !Mcp->IsArray())
    return; // the object form gives every command (the schema says so)
  std::string Known = llvm::join(ir::wellKnownMcpServers(), ", ");
  for (const Value &Name : Mcp->GetArray()) {
    if (!Name.IsString())
      continue; // the schema has said so
    llvm::StringRef Text(Name.GetString(), Name.GetStringLength());
    if (ir::wellKnownMcpServer(Text))
      continue;
    auto Near = nearestName(Text, ir::wellKnownMcpServers());
    Diagnostic &D = Diags.report(DiagKind::UnknownMcpServer, Doc.rangeOf(Name),
                                 Text, didYouMean(Near), Known);
    if (Near)
      D.fixIt(Doc.contentsOf(Name), *Near);
  }
}

/// 127.0.0.0/8, ::1 and localhost: plain http there leaves the machine
/// never.
static bool isLoopback(llvm::StringRef Host) {
  return Host.equals_insensitive("localhost") || Host.startswith("127.") ||
         Host == "::1";
}

void Checker::checkNotify() {
  const Value *N = member(*W.Root, "notify");
  const Value *Hook = N && N->IsObject() ? member(*N, "webhook") : nullptr;
  if (!Hook || !Hook->IsString() || Hook->GetStringLength() == 0)
    return; // the schema's to report
  std::string Why;
  std::optional<ir::WebhookUrl> U = ir::parseWebhookUrl(Hook->GetString(), Why);
  if (!U)
    Diags.report(DiagKind::InvalidWebhook, Doc.rangeOf(*Hook), Why);
  else if (!U->Tls && !isLoopback(U->Host))
    Diags.report(DiagKind::WebhookPlainHttp, Doc.rangeOf(*Hook), U->Host);
}

void Checker::checkHeader() {
  llvm::SMLoc Start = Doc.rangeOf(*W.Root).Start;
  const Value *Version = member(*W.Root, "connector");
  bool IsFile = W.Root == &Doc.root(); // not an inline team
  if (!Version && IsFile)
    Diags.report(DiagKind::MissingVersion, {Start, Start});
  else if (Version && Version->IsString() &&
           !isVersion2(Version->GetString()))
    Diags.report(DiagKind::UnsupportedVersion, Doc.rangeOf(*Version),
                 Version->GetString());
  if (llvm::StringRef Name = stringAt(*W.Root, "name"); !Name.empty())
    W.Name = Name.str();
  else if (!member(*W.Root, "name") && IsFile)
    Diags.report(DiagKind::MissingName, {Start, Start}, W.Name);
}

void Checker::collectModels() {
  const Value *Models = member(*W.Root, "models");
  if (!Models || !Models->IsObject())
    return;
  for (auto &M : Models->GetObject()) {
    spec::Alias A;
    A.Name = M.name.GetString();
    A.Node = &M.value;
    if (M.value.IsString() && A.Name != M.value.GetString() &&
        Models->HasMember(M.value.GetString()))
      A.Target = M.value.GetString();
    W.ModelOrder.push_back(A.Name);
    W.Models[A.Name] = std::move(A);
  }
  for (const std::string &Name : W.ModelOrder) {
    std::vector<std::string> Chain;
    resolveAlias(W.Models[Name], Chain);
  }
}

/// Resolves \p A, following alias-to-alias links; \p Chain is the path of
/// aliases being resolved, to report a cycle once, where it closes.
void Checker::resolveAlias(spec::Alias &A, std::vector<std::string> &Chain) {
  if (A.Ref || !A.Node)
    return;
  if (A.Target.empty()) {
    A.Ref = modelRefOf(A.Name, *A.Node);
    return;
  }
  if (llvm::is_contained(Chain, A.Name)) {
    std::string Cycle;
    for (auto It = llvm::find(Chain, A.Name); It != Chain.end(); ++It)
      Cycle += *It + " → ";
    Diags.report(DiagKind::AliasCycle, Doc.rangeOf(*A.Node), Cycle + A.Name);
    A.Node = nullptr; // reported; do not resolve it again
    return;
  }
  Chain.push_back(A.Name);
  spec::Alias &Target = W.Models[A.Target];
  Target.Used = true;
  resolveAlias(Target, Chain);
  A.Ref = Target.Ref;
  Chain.pop_back();
}

/// The model an alias's value (a string ref or an object) stands for.
std::optional<ModelRef> Checker::modelRefOf(const std::string &Name,
                                            const Value &V) {
  if (V.IsString()) {
    bool BadProvider = false;
    std::optional<ModelRef> Ref = parseModelRef(V.GetString(), &BadProvider);
    if (Ref)
      return Ref;
    llvm::StringRef Text = V.GetString();
    if (Text.startswith("custom/")) {
      Diags.report(DiagKind::CustomNeedsCommand, Doc.rangeOf(V), Name);
      return std::nullopt;
    }
    if (BadProvider) {
      llvm::StringRef Provider = Text.split('/').first;
      auto Near = nearestName(Provider, knownProviders());
      Diagnostic &D = Diags.report(DiagKind::UnknownProvider,
                                   Doc.rangeInString(V, 0, Provider.size()),
                                   Provider, didYouMean(Near));
      if (Near)
        D.fixIt(Doc.rangeInString(V, 0, Provider.size()), *Near);
      return std::nullopt;
    }
    auto Near = nearestName(Text, knownModelShorthands());
    Diagnostic &D = Diags.report(DiagKind::UnknownModel, Doc.rangeOf(V), Text,
                                 didYouMean(Near));
    if (Near)
      D.fixIt(Doc.contentsOf(V), *Near);
    return std::nullopt;
  }
  if (!V.IsObject())
    return std::nullopt;
  llvm::StringRef Provider = stringAt(V, "provider");
  bool HasCommand = member(V, "command") != nullptr;
  if (Provider.empty() && !HasCommand) {
    Diags.report(DiagKind::ModelRefNeedsProvider, Doc.rangeOf(V), Name);
    return std::nullopt;
  }
  if (Provider.empty())
    Provider = "custom";
  if (!isKnownProvider(Provider)) {
    const Value &P = *member(V, "provider");
    auto Near = nearestName(Provider, knownProviders());
    Diagnostic &D = Diags.report(DiagKind::UnknownProvider, Doc.rangeOf(P),
                                 Provider, didYouMean(Near));
    if (Near)
      D.fixIt(Doc.contentsOf(P), *Near);
    return std::nullopt;
  }
  if (Provider == "custom" && !HasCommand) {
    Diags.report(DiagKind::CustomNeedsCommand, Doc.rangeOf(V), Name);
    return std::nullopt;
  }
  return ModelRef{Provider.str(), stringAt(V, "model").str()};
}

void Checker::collectMachines() {
  W.Machines = {"localhost", "local"};
  if (const Value *M = member(*W.Root, "machines"); M && M->IsObject())
    for (auto &E : M->GetObject()) {
      W.Machines.push_back(E.name.GetString());
      checkMachine(E.name.GetString(), E.value);
    }
}

void Checker::checkMachine(llvm::StringRef Name, const Value &M) {
  const Value *Host = M.IsObject() ? member(M, "host") : &M;
  if (Host && Host->IsString() && Host->GetString()[0] == '-')
    Diags.report(DiagKind::MachineHostIsOption, Doc.rangeOf(*Host), Name,
                 Host->GetString());
  const Value *Options = M.IsObject() ? member(M, "options") : nullptr;
  if (!Options || !Options->IsArray())
    return;
  for (const Value &O : Options->GetArray()) {
    if (!O.IsString())
      continue; // the schema's to report
    if (!ir::parseSshOption(O.GetString()))
      Diags.report(DiagKind::InvalidSshOption, Doc.rangeOf(O), O.GetString());
    else if (ir::disablesHostKeyChecking(O.GetString()))
      Diags.report(DiagKind::HostKeyCheckingDisabled, Doc.rangeOf(O),
                   O.GetString(), Name);
  }
}

void Checker::checkSchedule() {
  const Value *S = member(*W.Root, "schedule");
  if (!S)
    return;
  const Value *Cron = S->IsObject() ? member(*S, "cron") : S;
  // An empty schedule is the schema's to report (minLength).
  if (Cron && Cron->IsString() && Cron->GetStringLength() != 0) {
    CronError Err;
    W.Schedule = parseCron(Cron->GetString(), Err);
    if (!W.Schedule)
      Diags.report(DiagKind::InvalidCron,
                   Doc.rangeInString(*Cron, Err.Offset,
                                     std::max<size_t>(Err.Length, 1)),
                   Err.Message);
    else if (auto Why = whyCronNeverFires(*W.Schedule))
      Diags.report(DiagKind::CronNeverFires, Doc.rangeOf(*Cron),
                   Cron->GetString(), *Why);
  }
  const Value *Tz = S->IsObject() ? member(*S, "timezone") : nullptr;
  if (!Tz || !Tz->IsString())
    return;
  // Checked against the system's tz database when there is one.
  llvm::StringRef Name = Tz->GetString();
  bool Plausible = !Name.empty() && !Name.contains("..") &&
                   !Name.startswith("/") && Name.find(' ') == llvm::StringRef::npos;
  if (Plausible && llvm::sys::fs::is_directory("/usr/share/zoneinfo"))
    Plausible = isKnownTimeZone(Name); // the zone `explain` will read
  if (!Plausible)
    Diags.report(DiagKind::InvalidTimezone, Doc.rangeOf(*Tz), Name);
}

void Checker::checkDefaults() {
  const Value *D = member(*W.Root, "defaults");
  if (!D || !D->IsObject())
    return;
  std::optional<spec::ModelUse> Model;
  if (const Value *M = member(*D, "model"))
    Model = useModel(*M);
  useFailover(member(*D, "failover"), Model ? *Model : spec::ModelUse{});
  checkSession(member(*D, "session"));
}

void Checker::reportUnusedAliases() {
  for (const std::string &Name : W.ModelOrder) {
    const spec::Alias &A = W.Models[Name];
    if (!A.Used && A.Node)
      Diags.report(DiagKind::UnusedAlias, Doc.keyRangeOf(*A.Node), Name);
  }
}
