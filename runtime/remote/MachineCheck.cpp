//===- MachineCheck.cpp - `connectorc run --check-machines` ---------------===//
#include "runtime/remote/MachineCheck.h"

#include "runtime/remote/Ssh.h"

#include "ir/ShellQuote.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

#include <set>

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;

namespace {
/// The probe, a constant: $1 is the workdir ("" for none, "~" and "~/…"
/// meaning the home directory), the other arguments are program names.
constexpr const char *Probe =
    "d=$1; shift; "
    "case $d in '~') d=$HOME ;; '~/'*) d=$HOME/${d#'~/'} ;; esac; "
    "if [ -n \"$d\" ]; then "
    "if [ -d \"$d\" ]; then echo 'workdir ok'; else echo 'workdir missing'; "
    "fi; "
    "fi; "
    "for t do "
    "if command -v \"$t\" >/dev/null 2>&1; then echo \"found $t\"; "
    "else echo \"missing $t\"; fi; "
    "done; "
    "echo connectorc-probe-done";

bool isLocal(StringRef Name) { return Name == "local" || Name == "localhost"; }

/// The programs task \p T needs wherever it runs.
void addTools(const ir::Plan &P, const ir::Task &T, const ir::Machine &M,
              std::set<std::string> &Tools) {
  std::string Connectorc = M.Connectorc.empty() ? "connectorc" : M.Connectorc;
  Tools.insert("tar"); // Inputs go out, scratchpad files come back.
  if (!T.Session.Worktree.empty())
    Tools.insert("git");
  if (T.Session.Sandbox.Enabled)
    Tools.insert("bwrap");
  if (T.Mailbox)
    Tools.insert(Connectorc);
  for (unsigned C : T.Candidates) {
    if (C >= P.Bindings.size() || P.Bindings[C].Argv.empty())
      continue;
    const ir::ModelBinding &B = P.Bindings[C];
    StringRef Program = B.Argv.front();
    bool RunsConnectorc = B.Simulated || Program.contains("{connectorc}");
    Tools.insert(RunsConnectorc ? Connectorc : Program.str());
  }
}

/// What one ssh said, waiting at most \p TimeoutS seconds.
Captured runSsh(const std::vector<std::string> &Argv, unsigned TimeoutS) {
  llvm::Expected<Captured> C = runCaptured(Argv, "", TimeoutS);
  if (!C) {
    Captured Failed;
    Failed.Err = llvm::toString(C.takeError());
    return Failed;
  }
  if (C->Status < 0 && C->Err.empty())
    C->Err = C->Message;
  return std::move(*C);
}

/// Prints the probe's findings; true when nothing is missing.
bool reportProbe(const ir::Machine &M, StringRef Out, llvm::raw_ostream &OS) {
  bool Fine = true;
  llvm::SmallVector<StringRef, 16> Lines;
  Out.split(Lines, '\n', -1, /*KeepEmpty=*/false);
  for (StringRef L : Lines) {
    L = L.rtrim("\r");
    if (L == "workdir missing") {
      OS << "  workdir " << M.Workdir << ": missing\n";
      Fine = false;
    } else if (L == "workdir ok") {
      OS << "  workdir " << M.Workdir << ": found\n";
    } else if (L.consume_front("found ")) {
      OS << "  " << L << ": found\n";
    } else if (L.consume_front("missing ")) {
      OS << "  " << L << ": missing from the remote PATH\n";
      Fine = false;
    }
  }
  return Fine;
}

bool checkOne(const MachineNeeds &N, const SshSettings &S, unsigned TimeoutS,
              llvm::raw_ostream &OS) {
  const ir::Machine &M = *N.M;
  OS << "machine '" << M.Name << "' (" << M.Host << "): ";
  auto Check = sshControlCheckArgv(M, S);
  auto Command = sshCommandArgv(M, S, probeWords(M, N.Tools));
  if (!Check || !Command) {
    llvm::consumeError(Check.takeError());
    OS << "cannot be reached: " << llvm::toString(Command.takeError()) << "\n";
    return false;
  }
  bool Shared = !S.ControlDir.empty() && runSsh(*Check, TimeoutS).Status == 0;
  Captured R = runSsh(*Command, TimeoutS);
  StringRef Out = R.Out ? R.Out->getBuffer() : "";
  if (R.Status != 0 || !Out.contains("connectorc-probe-done")) {
    std::string Reason = lastNonBlankLine(R.Err);
    OS << "unreachable: " << (Reason.empty() ? "ssh said nothing" : Reason)
       << "\n";
    return false;
  }
  OS << "reachable"
     << (S.ControlDir.empty() ? ""
         : Shared             ? ", through the shared connection"
                              : ", shared connection started")
     << "\n";
  return reportProbe(M, Out, OS);
}
} // namespace

std::vector<MachineNeeds> runtime::machineNeeds(const ir::Plan &P) {
  std::vector<std::set<std::string>> Tools(P.Machines.size());
  std::vector<bool> Used(P.Machines.size());
  for (const ir::Task &T : P.Tasks)
    for (const std::string &Name : T.Machines) {
      auto It = llvm::find_if(
          P.Machines, [&](const ir::Machine &M) { return M.Name == Name; });
      if (isLocal(Name) || It == P.Machines.end())
        continue;
      size_t I = It - P.Machines.begin();
      Used[I] = true;
      addTools(P, T, *It, Tools[I]);
    }
  std::vector<MachineNeeds> Needs;
  for (size_t I = 0; I < P.Machines.size(); ++I)
    if (Used[I])
      Needs.push_back({&P.Machines[I], {Tools[I].begin(), Tools[I].end()}});
  return Needs;
}

std::vector<std::string>
runtime::probeWords(const ir::Machine &M,
                    const std::vector<std::string> &Tools) {
  std::vector<std::string> W = {"sh", "-c", shellQuote(Probe),
                                "connectorc-probe", shellQuote(M.Workdir)};
  for (const std::string &T : Tools)
    W.push_back(shellQuote(T));
  return W;
}

bool runtime::checkMachines(const ir::Plan &P, llvm::raw_ostream &OS,
                            unsigned ConnectTimeoutS) {
  std::vector<MachineNeeds> Needs = machineNeeds(P);
  if (Needs.empty()) {
    OS << "no task runs on another machine\n";
    return true;
  }
  SshSettings S;
  S.BatchMode = true;
  S.ConnectTimeoutS = ConnectTimeoutS;
  if (llvm::Expected<std::string> Dir = makeControlDir())
    S.ControlDir = std::move(*Dir);
  else
    llvm::WithColor::warning(llvm::errs(), "connectorc run")
        << llvm::toString(Dir.takeError()) << "; connections not shared\n";
  unsigned Bad = 0;
  for (const MachineNeeds &N : Needs)
    Bad += !checkOne(N, S, ConnectTimeoutS * 3, OS);
  OS << Needs.size() << (Needs.size() == 1 ? " machine" : " machines")
     << " checked, " << (Bad ? std::to_string(Bad) : "none") << " not ready\n";
  return Bad == 0;
}
