//===- MachineCheck.h - `connectorc run --check-machines` --------*- C++
//-*-===//
//
// Before anything starts: can each machine the plan's tasks use be reached,
// and does its PATH have the tools those tasks need (git for worktrees,
// bwrap for a sandbox, connectorc for mail and the simulated agent, each
// agent CLI)? One ssh per machine runs a constant probe script; nothing of
// the spec is ever part of the script, only its quoted arguments.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_MACHINECHECK_H
#define CONNECTORC_RUNTIME_MACHINECHECK_H

#include "ir/Plan.h"

#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace connectorc::runtime {

/// A machine other than this one that some task may run on, and the
/// programs its tasks need on its PATH, sorted.
struct MachineNeeds {
  const ir::Machine *M = nullptr;
  std::vector<std::string> Tools;
};

/// Every machine named by a task (primary or failover), in the plan's
/// order, except "local"/"localhost".
std::vector<MachineNeeds> machineNeeds(const ir::Plan &P);

/// The remote command's words: `sh -c PROBE connectorc-probe WORKDIR
/// TOOL...`, each argument shellQuote'd.
std::vector<std::string> probeWords(const ir::Machine &M,
                                    const std::vector<std::string> &Tools);

/// Checks every machine of machineNeeds(P), printing one report per machine
/// to \p OS; true when every one is reachable and has what it needs.
/// \p ConnectTimeoutS bounds each connection attempt.
bool checkMachines(const ir::Plan &P, llvm::raw_ostream &OS,
                   unsigned ConnectTimeoutS = 10);

} // namespace connectorc::runtime

#endif
