//===- Checker.h - semantic checks a schema cannot express -------*- C++ -*-===//
//
// References (models, machines, failover, depends_on, team files), cycles,
// templates, topology arity, cron schedules and the header. Every check
// reports at the offending value and goes on, so one run shows every problem.
// Its output — the resolved spec::Workflow — is what lowering consumes.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_FRONTEND_CHECKER_H
#define CONNECTORC_FRONTEND_CHECKER_H

#include "frontend/Frontend.h"
#include "frontend/Spec.h"

#include <set>

namespace connectorc {

class Checker {
public:
  Checker(spec::Workflow &W, Frontend &FE)
      : W(W), FE(FE), Diags(FE.diags()), Doc(*W.Doc) {}

  /// Runs every check, filling in W's resolved parts.
  void run();

private:
  using Value = rapidjson::Value;

  // Checker.cpp: the workflow as a whole.
  void checkHeader();
  void collectModels();
  void resolveAlias(spec::Alias &A, std::vector<std::string> &Chain);
  std::optional<ModelRef> modelRefOf(const std::string &Name, const Value &V);
  void collectMachines();
  /// Reports a host ssh would read as an option and `options` entries that
  /// are not one ssh option or that turn off host key verification.
  void checkMachine(llvm::StringRef Name, const Value &M);
  void checkSchedule();
  void checkTools();
  void checkNotify();
  void checkDefaults();
  void reportUnusedAliases();

  // CheckPhases.cpp: phases, workers, topologies.
  void collectPhases();
  void checkPhase(spec::Phase &P);
  void checkWorkersPhase(spec::Phase &P);
  void checkDialogue(spec::Phase &P, const Value &D);
  void checkMeeting(spec::Phase &P, const Value &M);
  void checkMesh(spec::Phase &P, const Value &M);
  void checkTeam(spec::Phase &P, const Value &T);
  void checkPrompt(const Value &Obj, llvm::StringRef What, bool &HasPrompt);
  bool findFile(const Value &Ref, llvm::StringRef What,
                llvm::SmallVectorImpl<char> &Path);
  void checkSession(const Value *Session);
  void checkTemplate(const Value &Str);
  void checkDependencies();
  void reportCycles();
  spec::ModelUse defaultModel(const spec::Phase &P, const Value *At = nullptr);
  std::optional<spec::ModelUse> useModel(const Value &Name);
  std::vector<spec::ModelUse> useFailover(const Value *List,
                                          const spec::ModelUse &Primary);
  std::vector<std::string> useMachines(const Value *M);

  const Value *member(const Value &Obj, llvm::StringRef Key) const;
  llvm::StringRef stringAt(const Value &Obj, llvm::StringRef Key) const;

  spec::Workflow &W;
  Frontend &FE;
  DiagnosticEngine &Diags;
  const JsonDocument &Doc;
  bool WarnedDefaultModel = false; ///< the default is announced once
};

} // namespace connectorc

#endif
