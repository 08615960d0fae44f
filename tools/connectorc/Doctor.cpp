//===- Doctor.cpp - `connectorc doctor` -----------------------------------===//
//
// Can this machine run a workflow (or, without one, any provider of the
// registry)? For each provider a task may run here, failover candidates
// included: its executable and version, its credentials (names only), its
// models; then bubblewrap when a task is sandboxed, git when one has a
// worktree, and a pointer to `explain --check-machines` for tasks placed on
// other machines. A checklist on stdout, or one JSON object
// (docs/doctor.md).
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"
#include "DoctorChecks.h"

#include "ir/Fmt.h"
#include "runtime/support/JsonText.h"
#include "runtime/remote/MachineCheck.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <map>

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;
namespace json = llvm::json;

namespace {
enum class DoctorFormat { Human, Json };

cl::opt<std::string> Input(cl::Positional, cl::Optional,
                           cl::desc("[file.connector.json]"),
                           cl::sub(doctorCommand()), cl::cat(Category));
cl::opt<DoctorFormat>
    Format("format", cl::desc("How to print the report"),
           cl::init(DoctorFormat::Human),
           cl::values(clEnumValN(DoctorFormat::Human, "human",
                                 "a checklist, one line per check (default)"),
                      clEnumValN(DoctorFormat::Json, "json",
                                 "one JSON object (docs/doctor.md)")),
           cl::sub(doctorCommand()), cl::cat(Category));

/// Checks about one thing: a provider, the sandbox, git, other machines.
struct Group {
  std::string Kind; ///< "provider", "sandbox", "git", "machines"
  std::string Name;
  std::vector<Check> Checks;
};

struct Report {
  std::string File; ///< empty: the whole registry
  std::vector<Group> Groups;
};

bool isLocal(llvm::StringRef Machine) {
  return Machine == "local" || Machine == "localhost";
}

/// A task may run on this machine: it is placed here, or fails over to it.
bool runsHere(const ir::Task &T) {
  return T.Machines.empty() || llvm::any_of(T.Machines, isLocal);
}

/// What the local tasks of a plan run under one provider (or one custom
/// command): the programs and models their bindings use, in plan order.
struct ProviderUse {
  const Provider *P = nullptr; ///< null for a custom command
  std::vector<std::string> Executables, Models, EnvKeys;
};

Group providerGroup(const std::string &Name, const ProviderUse &U) {
  Group G{"provider", Name, {}};
  std::vector<std::pair<std::string, std::string>> Install;
  if (U.P)
    Install = U.P->Install;
  for (const std::string &E : U.Executables)
    G.Checks.push_back(checkExecutable(
        {E, Install, /*ProbeVersion=*/U.P != nullptr}, selfExe()));
  G.Checks.push_back(checkCredentials(
      U.Executables.empty() ? Name : U.Executables.front(), U.EnvKeys,
      U.P ? U.P->CredentialFiles : std::vector<std::string>()));
  if (U.P)
    for (const std::string &M : U.Models)
      G.Checks.push_back(checkModel(*U.P, M));
  return G;
}

void addUnique(std::vector<std::string> &V, const std::string &S) {
  if (!llvm::is_contained(V, S))
    V.push_back(S);
}

/// One check per other machine: doctor does not connect to them.
Group machinesGroup(const ir::Plan &P, llvm::StringRef File) {
  Group G{"machines", "machines", {}};
  for (const runtime::MachineNeeds &N : runtime::machineNeeds(P)) {
    Check C;
    C.Name = "machine";
    C.Status = CheckStatus::Warning;
    C.Message = fmt::format("{} ({}) needs {}: not checked here", N.M->Name,
                            N.M->Host, llvm::join(N.Tools, ", "));
    C.Fix = "connectorc explain --check-machines " + File.str();
    C.Extra["machine"] = N.M->Name;
    C.Extra["host"] = N.M->Host;
    C.Extra["tools"] = json::Array(N.Tools);
    G.Checks.push_back(std::move(C));
  }
  return G;
}

Report checkPlan(const ProviderRegistry &R, const ir::Plan &P,
                 llvm::StringRef File) {
  Report Rep{File.str(), {}};
  std::vector<std::string> Order;
  std::map<std::string, ProviderUse> Uses;
  bool Sandbox = false, Worktree = false;
  for (const ir::Task &T : P.Tasks) {
    if (!runsHere(T))
      continue;
    Sandbox |= T.Session.Sandbox.Enabled;
    Worktree |= !T.Session.Worktree.empty();
    for (unsigned C : T.Candidates) {
      if (C >= P.Bindings.size() || P.Bindings[C].Argv.empty())
        continue;
      const ir::ModelBinding &B = P.Bindings[C];
      const Provider *Prov = R.find(B.Provider);
      std::string Key = Prov ? B.Provider : B.Id;
      auto [It, New] = Uses.try_emplace(Key);
      if (New)
        Order.push_back(Key);
      It->second.P = Prov;
      addUnique(It->second.Executables, B.Argv.front());
      addUnique(It->second.Models, B.Model);
      for (const std::string &K : B.EnvKeys)
        addUnique(It->second.EnvKeys, K);
    }
  }
  for (const std::string &Key : Order)
    Rep.Groups.push_back(providerGroup(Key, Uses[Key]));
  if (Sandbox)
    Rep.Groups.push_back({"sandbox", "sandbox", {checkSandbox()}});
  if (Worktree)
    Rep.Groups.push_back({"git", "git", {checkGit(CheckStatus::Warning)}});
  Group Machines = machinesGroup(P, File);
  if (!Machines.Checks.empty())
    Rep.Groups.push_back(std::move(Machines));
  return Rep;
}

Report checkRegistry(const ProviderRegistry &R) {
  Report Rep;
  for (const std::string &Name : R.providerNames()) {
    const Provider &P = *R.find(Name);
    ProviderUse U{&P, {P.Executable}, {}, P.EnvKeys};
    Rep.Groups.push_back(providerGroup(Name, U));
  }
  Rep.Groups.push_back({"sandbox", "sandbox", {checkSandbox()}});
  Rep.Groups.push_back({"git", "git", {checkGit(CheckStatus::Missing)}});
  return Rep;
}

/// Checks of each status, indexed by CheckStatus.
std::array<unsigned, 4> countStatuses(const Report &R) {
  std::array<unsigned, 4> N = {};
  for (const Group &G : R.Groups)
    for (const Check &C : G.Checks)
      ++N[static_cast<size_t>(C.Status)];
  return N;
}

/// With a file: 1 when something it needs is missing or a check failed.
/// Without: the report is informational, 1 only when a check failed.
int exitStatusOf(const Report &R) {
  std::array<unsigned, 4> N = countStatuses(R);
  bool Errored = N[static_cast<size_t>(CheckStatus::Error)] > 0;
  bool Missing = N[static_cast<size_t>(CheckStatus::Missing)] > 0;
  return Errored || (!R.File.empty() && Missing) ? ExitFailure : ExitOk;
}

llvm::raw_ostream::Colors colorOf(CheckStatus S) {
  switch (S) {
  case CheckStatus::Ok:
    return llvm::raw_ostream::GREEN;
  case CheckStatus::Missing:
  case CheckStatus::Error:
    return llvm::raw_ostream::RED;
  case CheckStatus::Warning:
    return llvm::raw_ostream::YELLOW;
  }
  llvm_unreachable("unknown check status");
}

void printHuman(llvm::raw_ostream &OS, const Report &R, bool Color) {
  OS << "connectorc doctor: "
     << (R.File.empty() ? "every provider of the registry" : R.File) << "\n";
  for (const Group &G : R.Groups) {
    OS << (G.Kind == "provider" ? "provider " + G.Name : G.Name) << "\n";
    for (const Check &C : G.Checks) {
      OS << "  ";
      if (Color)
        OS.changeColor(colorOf(C.Status), /*Bold=*/true);
      OS << fmt::format("{:<8}", checkStatusName(C.Status).str());
      if (Color)
        OS.resetColor();
      OS << fmt::format(" {:<12} {}\n", C.Name, C.Message);
      if (!C.Fix.empty())
        OS << "           fix: " << C.Fix << "\n";
    }
  }
  std::array<unsigned, 4> N = countStatuses(R);
  OS << fmt::format("\n{} ok, {} missing, {} warning{}", N[0], N[1], N[2],
                    N[2] == 1 ? "" : "s");
  if (N[3])
    OS << fmt::format(", {} check{} failed", N[3], N[3] == 1 ? "" : "s");
  if (!R.File.empty())
    OS << (exitStatusOf(R) == ExitOk
               ? ": nothing it needs on this machine is missing"
               : ": something it needs on this machine is missing");
  OS << "\n";
}

json::Value checkJson(const Check &C) {
  json::Object O = C.Extra;
  O["check"] = C.Name;
  O["status"] = checkStatusName(C.Status).str();
  O["message"] = C.Message;
  O["fix"] = C.Fix.empty() ? json::Value(nullptr) : json::Value(C.Fix);
  return O;
}

void printJson(llvm::raw_ostream &OS, const Report &R) {
  json::Array Groups;
  for (const Group &G : R.Groups) {
    json::Array Checks;
    for (const Check &C : G.Checks)
      Checks.push_back(checkJson(C));
    Groups.push_back(json::Object{
        {"kind", G.Kind}, {"name", G.Name}, {"checks", std::move(Checks)}});
  }
  std::array<unsigned, 4> N = countStatuses(R);
  json::Object Top{
      {"doctor", 1},
      {"file", R.File.empty() ? json::Value(nullptr) : json::Value(R.File)},
      {"groups", std::move(Groups)},
      {"summary", json::Object{{"ok", N[0]},
                               {"missing", N[1]},
                               {"warning", N[2]},
                               {"error", N[3]}}},
      {"exit_status", exitStatusOf(R)}};
  OS << runtime::toJsonText(json::Value(std::move(Top)), /*Pretty=*/true)
     << "\n";
}
} // namespace

int driver::runDoctor() {
  Driver D;
  if (!D.loadRegistry()) {
    D.printDiagnostics();
    return ExitUsage;
  }
  Report R;
  if (!Input.empty()) {
    std::optional<ir::Plan> Plan = D.compile(Input, PassOptions());
    D.printDiagnostics();
    if (D.FE.hadUnreadableFile())
      return ExitUsage;
    if (!Plan)
      return ExitFailure;
    R = checkPlan(*D.Registry, *Plan, Input);
  } else {
    R = checkRegistry(*D.Registry);
  }
  llvm::raw_ostream &OS = llvm::outs();
  if (Format == DoctorFormat::Json)
    printJson(OS, R);
  else
    printHuman(OS, R, useColor(OS));
  return exitStatusOf(R);
}
