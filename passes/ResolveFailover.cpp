//===- ResolveFailover.cpp - the resolve-failover pass --------------------===//
//
// Each task's candidates, in the order the runtime tries them: its model,
// its (phase's or worker's) failover list, then defaults.failover — each
// binding once; an "auto" entry stays a placeholder (ir::AutoCandidate)
// for cost-route to fill. The checker has warned about a same-provider entry in
// an explicit failover list; entries that come from defaults.failover are
// warned about here, once per entry and primary.
//
//===----------------------------------------------------------------------===//
#include "passes/PassManager.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace connectorc;

bool connectorc::runResolveFailover(Compilation &C) {
  llvm::StringSet<> Warned;
  for (unsigned T = 0; T < C.Plan.Tasks.size(); ++T) {
    ir::Task &Task = C.Plan.Tasks[T];
    unsigned Mod = C.TaskModule[T];
    const llvm::StringMap<unsigned> &Table = C.ModelBindings[Mod];
    auto Add = [&](llvm::StringRef Name) -> std::optional<unsigned> {
      if (Name == "auto") { // routed by cost-route, in this place
        Task.Candidates.push_back(ir::AutoCandidate);
        return std::nullopt;
      }
      auto It = Table.find(Name);
      if (It == Table.end() || llvm::is_contained(Task.Candidates, It->second))
        return std::nullopt;
      Task.Candidates.push_back(It->second);
      return It->second;
    };
    for (const std::string &F : Task.FailoverNames)
      Add(F);
    for (const ir::ModelUse &F : C.Modules[Mod]->DefaultFailover) {
      std::optional<unsigned> B = Add(F.Name);
      if (!B || Task.ModelName == "auto" || Task.Candidates.size() < 2)
        continue; // an "auto" primary is not known yet
      const ir::ModelBinding &Primary = C.Plan.Bindings[Task.Candidates[0]];
      const ir::ModelBinding &Added = C.Plan.Bindings[*B];
      if (Primary.Provider != Added.Provider || Primary.Provider == "custom" ||
          !Warned.insert(F.Name + "\n" + Task.ModelName).second)
        continue;
      C.Diags.report(DiagKind::SameProviderFailover, F.Loc, F.Name,
                     Added.Provider, Task.ModelName);
    }
  }
  return !C.failed();
}
