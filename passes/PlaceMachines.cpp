//===- PlaceMachines.cpp - the place-machines pass ------------------------===//
//
// Binds each task to its machines: the ordered list its worker or phase
// names (the runtime fails over along it), "local" when none. "localhost"
// and "local" are the same machine. The plan's machine table gathers every
// module's (teams may define their own).
//
//===----------------------------------------------------------------------===//
#include "passes/PassManager.h"

#include "llvm/ADT/STLExtras.h"

using namespace connectorc;

bool connectorc::runPlaceMachines(Compilation &C) {
  ir::Plan &P = C.Plan;
  P.Machines.clear();
  for (const ir::Module *M : C.Modules)
    for (const ir::Machine &Mc : M->Machines)
      if (llvm::none_of(P.Machines, [&](const ir::Machine &E) {
            return E.Name == Mc.Name;
          }))
        P.Machines.push_back(Mc);
  for (ir::Task &T : P.Tasks) {
    std::vector<std::string> Placed;
    for (const std::string &M : T.Machines) {
      std::string Name = M == "localhost" ? "local" : M;
      if (!llvm::is_contained(Placed, Name))
        Placed.push_back(std::move(Name));
    }
    if (Placed.empty())
      Placed.push_back("local");
    T.Machines = std::move(Placed);
  }
  return true;
}
