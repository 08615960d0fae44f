//===- PlanGraph.h - a plan as a graph, for the dot and mermaid backends ---*-
// C++ -*-===//
//
// What the graph backends draw, computed once: a cluster per stage, a node
// per task (a placeholder node for a stage with no tasks of its own, such
// as a team), task edges from Task::Deps, and an edge between stages where
// a stage dependency has no task edge to show it. Machines become colours
// from a fixed palette, shown in a legend.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_BACKENDS_PLANGRAPH_H
#define CONNECTORC_BACKENDS_PLANGRAPH_H

#include "ir/Plan.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace connectorc {

struct GraphNode {
  /// The lines of its label, each at most about 200 bytes (untrusted text:
  /// escape when writing).
  std::vector<std::string> Lines;
  unsigned Machine = 0;     ///< index into PlanGraph::Machines
  bool Placeholder = false; ///< stands for a stage with no tasks
};

struct GraphCluster {
  std::string Label;           ///< "<stage name> (<kind>)"
  std::vector<unsigned> Nodes; ///< never empty
};

struct GraphEdge {
  unsigned From = 0, To = 0; ///< node indices
  /// Between stages (From and To then are their first nodes, and the edge
  /// stands for the clusters).
  bool BetweenStages = false;
  unsigned FromCluster = 0, ToCluster = 0; ///< when BetweenStages
};

struct PlanGraph {
  std::string Title;                  ///< "workflow <name>"
  std::vector<GraphCluster> Clusters; ///< one per plan stage, in order
  std::vector<GraphNode> Nodes;
  std::vector<GraphEdge> Edges;
  std::vector<std::string> Machines; ///< in order of first use
};

/// The graph of \p P.
PlanGraph buildPlanGraph(const ir::Plan &P);

/// The fill colour of machine number \p Index ("#rrggbb"), from a fixed
/// palette that repeats after its last colour.
llvm::StringRef machineColour(unsigned Index);

/// \p S as a graph label shows it: CR LF and CR become LF (a line break),
/// other control characters spaces. The escaping functions start from it.
std::string labelText(llvm::StringRef S);

/// \p S as the inside of a double-quoted DOT string: `"` and `\` escaped,
/// line breaks as `\n` (centred lines), other control characters as spaces.
/// Past 8 KiB the string is split into quoted pieces joined by `" + "`
/// (Graphviz reads at most 16 KiB per quoted string). Graphviz reads the
/// result as the same text, whatever \p S holds.
std::string escapeDotString(llvm::StringRef S);

/// \p S as the inside of a double-quoted Mermaid label: characters Mermaid
/// or HTML would read (quotes, `#`, `<`, `>`, `&`, backticks, brackets…) as
/// entity codes `#<decimal>;`, line breaks as `<br>`, other control
/// characters as spaces.
std::string escapeMermaidLabel(llvm::StringRef S);

} // namespace connectorc

#endif
