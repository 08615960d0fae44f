//===- Spec.h - a checked connector.json workflow ----------------*- C++ -*-===//
//
// What the checker hands to lowering: every reference resolved (aliases to
// model refs, depends_on to phase indices, team files to their workflows),
// with the JSON value each thing came from so lowering can read the rest and
// point at it.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_FRONTEND_SPEC_H
#define CONNECTORC_FRONTEND_SPEC_H

#include "frontend/JsonDocument.h"
#include "ir/Cron.h"
#include "ir/ModelRef.h"

#include "llvm/ADT/StringMap.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace connectorc::spec {

using rapidjson::Value;

/// A model as a phase or worker names it, and what it resolved to.
struct ModelUse {
  std::string Name;             ///< as written: an alias, a ref, or "auto"
  ModelRef Ref;                 ///< resolved ({"auto", ""} for "auto")
  const Value *Node = nullptr;  ///< the string naming it; null if defaulted
};

/// An entry of "models".
struct Alias {
  std::string Name;
  const Value *Node = nullptr;    ///< the alias's value
  std::string Target;             ///< the alias it names, if any
  std::optional<ModelRef> Ref;    ///< resolved (transitively)
  bool Used = false;
};

/// One agent of a phase (a worker, a mesh agent, a dialogue participant).
struct Worker {
  std::string Name;              ///< given, or the 1-based index
  const Value *Node = nullptr;   ///< the worker object; null for counted workers
  ModelUse Model;
  std::vector<ModelUse> Failover;
  std::vector<std::string> Machines; ///< ordered candidates; empty = local
};

/// What a phase is.
enum class PhaseKind { Workers, Dialogue, Meeting, Mesh, Team };

struct Workflow;

/// One phase (stage) of a workflow.
struct Phase {
  std::string Name;
  unsigned Index = 0;
  const Value *Node = nullptr;   ///< the phase object (or the shorthand's)
  PhaseKind Kind = PhaseKind::Workers;
  const Value *TopologyNode = nullptr; ///< the dialogue/meeting/mesh/team value
  std::vector<Worker> Workers;
  std::optional<ModelUse> Chair; ///< a meeting's chair
  std::vector<unsigned> DependsOn;
  std::shared_ptr<Workflow> Team; ///< for PhaseKind::Team
};

/// A checked workflow: a file, or an inline team inside one.
struct Workflow {
  std::string Name;
  std::string Path;      ///< the file it was read from
  std::string Dir;       ///< where relative paths in it are resolved
  std::shared_ptr<JsonDocument> Doc;
  const Value *Root = nullptr;
  llvm::StringMap<Alias> Models;
  std::vector<std::string> ModelOrder; ///< alias names in file order
  std::vector<std::string> Machines;   ///< names defined in "machines"
  std::vector<Phase> Phases;
  std::optional<CronSchedule> Schedule;
};

} // namespace connectorc::spec

#endif
