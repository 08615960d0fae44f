//===- Printer.cpp - the textual form of the IR ---------------------------===//
#include "ir/Printer.h"

#include "ir/Fmt.h"
#include "ir/WebhookUrl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace connectorc;
using namespace connectorc::ir;

namespace {

/// A quoted string with C escapes.
struct Quoted {
  llvm::StringRef S;
};
llvm::raw_ostream &operator<<(llvm::raw_ostream &OS, Quoted Q) {
  OS << '"';
  llvm::printEscapedString(Q.S, OS);
  return OS << '"';
}

/// ["a", "b"]
template <typename Range>
void printList(llvm::raw_ostream &OS, const Range &R) {
  OS << '[';
  bool First = true;
  for (const auto &E : R) {
    if (!First)
      OS << ", ";
    First = false;
    OS << Quoted{E};
  }
  OS << ']';
}

std::string money(double Usd) { return fmt::format("${:.4f}", Usd); }

void printLoc(llvm::raw_ostream &OS, const DiagnosticEngine *Diags,
              llvm::SMRange R) {
  if (!Diags || !R.Start.isValid())
    return;
  R = Diags->resolve(R);
  auto [Line, Col] = Diags->getSourceMgr().getLineAndColumn(R.Start);
  OS << " loc(" << Line << ':' << Col << ')';
}

/// " sandbox network=provider [hosts=[...]] write=[...] [read=[...]]"
static void printSandbox(llvm::raw_ostream &OS, SandboxNet Net,
                         const std::vector<std::string> &Hosts,
                         const std::vector<std::string> &Write,
                         const std::vector<std::string> &Read) {
  OS << " sandbox network=" << sandboxNetName(Net);
  if (!Hosts.empty()) {
    OS << " hosts=";
    printList(OS, Hosts);
  }
  OS << " write=";
  printList(OS, Write);
  if (!Read.empty()) {
    OS << " read=";
    printList(OS, Read);
  }
}

/// "notify webhook=\"https://host/path\" [timeout=5s]": the URL without
/// its query (a token may be there).
void printNotify(llvm::raw_ostream &OS, llvm::StringRef Pad,
                 const NotifySpec &N) {
  if (N.Webhook.empty())
    return;
  OS << Pad << "notify webhook=" << Quoted{redactWebhookUrl(N.Webhook)};
  if (N.TimeoutS > 0)
    OS << fmt::format(" timeout={}s", N.TimeoutS);
  OS << '\n';
}

void printSession(llvm::raw_ostream &OS, const SessionSpec &S,
                  llvm::StringRef Pad) {
  if (S.Worktree.empty() && !S.Sandbox && S.Cwd.empty() && S.Setup.empty() &&
      S.Copy.empty() && S.Repo.empty())
    return;
  OS << Pad << "session";
  if (!S.Worktree.empty())
    OS << " worktree=" << Quoted{S.Worktree} << " base=" << Quoted{S.Base};
  if (!S.Repo.empty())
    OS << " repo=" << Quoted{S.Repo};
  if (!S.Cwd.empty())
    OS << " cwd=" << Quoted{S.Cwd};
  if (S.Sandbox)
    printSandbox(OS, S.Network, S.Hosts, S.Write, S.Read);
  if (!S.Copy.empty()) {
    OS << " copy=";
    printList(OS, S.Copy);
  }
  if (!S.Setup.empty()) {
    OS << " setup=";
    printList(OS, S.Setup);
  }
  OS << '\n';
}

} // namespace

std::string ir::originOf(const llvm::SourceMgr &SM, llvm::SMRange R) {
  if (!R.Start.isValid())
    return "";
  unsigned Id = SM.FindBufferContainingLoc(R.Start);
  if (!Id)
    return "";
  auto [Line, Col] = SM.getLineAndColumn(R.Start, Id);
  return fmt::format("{}:{}:{}",
                     SM.getMemoryBuffer(Id)->getBufferIdentifier(), Line, Col);
}

void ir::printModule(llvm::raw_ostream &OS, const Module &M,
                     const DiagnosticEngine *Diags, unsigned Indent) {
  std::string Pad(Indent, ' ');
  std::string Pad2 = Pad + "  ", Pad4 = Pad + "    ", Pad6 = Pad + "      ";
  OS << Pad << "module " << Quoted{M.Name} << " {\n";
  if (!M.Description.empty())
    OS << Pad2 << "description " << Quoted{M.Description} << '\n';
  for (const Model &Mo : M.Models) {
    OS << Pad2 << (Mo.IsAlias ? "alias " : "model ") << Quoted{Mo.Name}
       << " = " << Quoted{Mo.Ref.str()};
    if (!Mo.Command.empty()) {
      OS << " command=";
      printList(OS, Mo.Command);
    }
    if (!Mo.Args.empty()) {
      OS << " args=";
      printList(OS, Mo.Args);
    }
    if (Mo.Via)
      OS << " via=" << promptViaName(*Mo.Via);
    if (Mo.ModelTier)
      OS << " tier=" << tierName(*Mo.ModelTier);
    if (Mo.Cost)
      OS << fmt::format(" price={}/{}", Mo.Cost->InputPerMTok,
                        Mo.Cost->OutputPerMTok);
    printLoc(OS, Diags, Mo.Loc);
    OS << '\n';
  }
  for (const Machine &Mc : M.Machines) {
    OS << Pad2 << "machine " << Quoted{Mc.Name} << " host=" << Quoted{Mc.Host};
    if (!Mc.User.empty())
      OS << " user=" << Quoted{Mc.User};
    if (Mc.Port)
      OS << " port=" << Mc.Port;
    if (!Mc.Workdir.empty())
      OS << " workdir=" << Quoted{Mc.Workdir};
    OS << '\n';
  }
  for (const McpServer &T : M.Tools) {
    OS << Pad2 << "mcp " << Quoted{T.Name};
    if (!T.Command.empty())
      OS << " command=" << Quoted{T.Command};
    OS << '\n';
  }
  if (!M.Cron.empty()) {
    OS << Pad2 << "schedule " << Quoted{M.Cron};
    if (!M.TimeZone.empty())
      OS << " timezone=" << Quoted{M.TimeZone};
    OS << '\n';
  }
  if (M.BudgetUsd)
    OS << Pad2 << "budget " << money(*M.BudgetUsd) << '\n';
  printNotify(OS, Pad2, M.Notify);
  if (!M.DefaultFailover.empty()) {
    OS << Pad2 << "default-failover ";
    printList(OS, llvm::map_range(M.DefaultFailover,
                                  [](const ModelUse &U) -> llvm::StringRef {
                                    return U.Name;
                                  }));
    OS << '\n';
  }
  OS << Pad2 << "scratchpad=" << (M.Scratchpad ? "true" : "false")
     << " mailbox=" << (M.Mailbox ? "true" : "false") << '\n';
  for (const Stage &S : M.Stages) {
    OS << Pad2 << "stage " << Quoted{S.Name} << ' ' << stageKindName(S.Kind);
    if (S.Kind == StageKind::Workers)
      OS << " count=" << S.Count << (S.Parallel ? " parallel" : " serial");
    if (!S.DependsOn.empty()) {
      OS << " after=";
      printList(OS, llvm::map_range(S.DependsOn, [&](unsigned I) {
                  return llvm::StringRef(M.Stages[I].Name);
                }));
    }
    if (S.Kind == StageKind::Dialogue) {
      OS << " rounds=" << S.Rounds;
      if (!S.Until.empty())
        OS << " until=" << Quoted{S.Until};
    }
    if (S.Kind == StageKind::Meeting) {
      OS << " chair=" << Quoted{S.Chair} << " agenda=";
      printList(OS, S.Agenda);
    }
    if (S.Kind == StageKind::Mesh)
      OS << " max-messages=" << S.MaxMessages
         << " timeout=" << formatDuration(S.StageTimeoutS);
    if (!S.Output.empty())
      OS << " output=" << Quoted{S.Output};
    printLoc(OS, Diags, S.Loc);
    OS << '\n';
    for (const Agent &A : S.Agents) {
      OS << Pad4 << "agent " << Quoted{A.Name} << " model=" << Quoted{A.Model.Name};
      if (!A.Failover.empty()) {
        OS << " failover=";
        printList(OS, llvm::map_range(A.Failover,
                                      [](const ModelUse &U) -> llvm::StringRef {
                                        return U.Name;
                                      }));
      }
      if (!A.Machines.empty()) {
        OS << " machine=";
        printList(OS, A.Machines);
      }
      OS << " timeout=" << formatDuration(A.TimeoutS) << " retries=" << A.Retries;
      if (A.WantTier != Tier::Any)
        OS << " tier=" << tierName(A.WantTier);
      if (A.OutputTokens)
        OS << " output-tokens=" << *A.OutputTokens;
      printLoc(OS, Diags, A.Loc);
      OS << '\n' << Pad6 << "prompt " << Quoted{A.Prompt} << '\n';
      printSession(OS, A.Session, Pad6);
    }
    if (S.Team)
      printModule(OS, *S.Team, Diags, Indent + 4);
  }
  OS << Pad << "}\n";
}

void ir::printPlan(llvm::raw_ostream &OS, const Plan &P) {
  OS << "plan " << Quoted{P.Workflow} << " version=" << Plan::FormatVersion
     << " tasks=" << P.Tasks.size() << " {\n";
  if (!P.Cron.empty()) {
    OS << "  schedule " << Quoted{P.Cron};
    if (!P.TimeZone.empty())
      OS << " timezone=" << Quoted{P.TimeZone};
    OS << '\n';
  }
  OS << "  cost estimate=" << money(P.Cost.EstimateUsd);
  if (!P.Cost.CostliestModel.empty())
    OS << " costliest=" << Quoted{P.Cost.CostliestModel} << ':'
       << money(P.Cost.CostliestUsd);
  if (P.Cost.BudgetUsd)
    OS << " budget=" << money(*P.Cost.BudgetUsd);
  OS << '\n';
  printNotify(OS, "  ", P.Notify);
  for (const ModelBinding &B : P.Bindings) {
    OS << "  binding " << Quoted{B.Id} << " provider=" << Quoted{B.Provider}
       << " model=" << Quoted{B.Model} << " via=" << promptViaName(B.Via)
       << " tier=" << tierName(B.ModelTier)
       << fmt::format(" price={}/{}", B.Cost.InputPerMTok,
                      B.Cost.OutputPerMTok);
    if (B.Simulated)
      OS << " simulated";
    OS << " argv=";
    printList(OS, B.Argv);
    OS << '\n';
  }
  for (const PlanStage &S : P.Stages) {
    OS << "  stage " << Quoted{S.Name} << ' ' << stageKindName(S.Kind)
       << " tasks=" << S.Tasks.size() << " cost=" << money(S.CostUsd);
    if (!S.DependsOn.empty()) {
      OS << " after=";
      printList(OS, llvm::map_range(S.DependsOn, [&](unsigned I) {
                  return llvm::StringRef(P.Stages[I].Name);
                }));
    }
    if (!S.Output.empty())
      OS << " output=" << Quoted{S.Output};
    std::string Record = stageRecordPath(S);
    if (!Record.empty())
      OS << " record=" << Quoted{Record};
    if (S.MaxMessages)
      OS << " max-messages=" << S.MaxMessages;
    if (S.TimeoutS > 0)
      OS << " timeout=" << formatDuration(S.TimeoutS);
    OS << '\n';
    for (unsigned I = 0; I < S.Agenda.size(); ++I)
      OS << "    agenda " << I + 1 << ' ' << Quoted{S.Agenda[I]} << '\n';
  }
  for (const Task &T : P.Tasks) {
    OS << "  task " << Quoted{T.Id} << " stage=" << Quoted{P.Stages[T.Stage].Name}
       << " worker=" << T.Worker << " name=" << Quoted{T.WorkerName};
    if (!T.Role.empty())
      OS << " role=" << T.Role;
    OS << " model=" << Quoted{T.ModelName};
    if (!T.Origin.empty())
      OS << " origin=" << Quoted{T.Origin};
    OS << '\n';
    OS << "    candidates=";
    printList(OS, llvm::map_range(T.Candidates, [&](unsigned I) {
                return I == AutoCandidate ? llvm::StringRef("auto")
                                          : llvm::StringRef(P.Bindings[I].Id);
              }));
    OS << " machine=";
    printList(OS, T.Machines);
    OS << " deps=";
    printList(OS, llvm::map_range(T.Deps, [&](unsigned I) {
                return llvm::StringRef(P.Tasks[I].Id);
              }));
    OS << '\n';
    OS << "    output=" << Quoted{T.Output} << " timeout="
       << formatDuration(T.TimeoutS) << " retries=" << T.Retries
       << " tokens=" << T.InputTokens << '/' << T.OutputTokens
       << " cost=" << money(T.CostUsd);
    if (!T.Speaker.empty())
      OS << " speaker=" << Quoted{T.Speaker} << " round=" << T.Round;
    if (!T.Until.empty())
      OS << " until=" << Quoted{T.Until};
    if (T.Mailbox)
      OS << " mailbox";
    OS << '\n';
    const TaskSession &S = T.Session;
    if (!S.Worktree.empty() || S.Sandbox.Enabled || !S.Cwd.empty() ||
        !S.Setup.empty()) {
      OS << "    session";
      if (!S.Worktree.empty())
        OS << " worktree=" << Quoted{S.Worktree} << " branch=" << Quoted{S.Branch}
           << " base=" << Quoted{S.Base};
      if (!S.Cwd.empty())
        OS << " cwd=" << Quoted{S.Cwd};
      if (S.Sandbox.Enabled)
        printSandbox(OS, S.Sandbox.Network, S.Sandbox.Hosts, S.Sandbox.Write,
                     S.Sandbox.Read);
      if (!S.Setup.empty()) {
        OS << " setup=";
        printList(OS, S.Setup);
      }
      OS << '\n';
    }
    OS << "    prompt " << Quoted{T.Prompt} << '\n';
  }
  OS << "}\n";
}
