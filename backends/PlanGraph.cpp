//===- PlanGraph.cpp - a plan as a graph, for the dot and mermaid backends ===//
#include "backends/PlanGraph.h"

#include "fmt/format.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

using namespace connectorc;

llvm::StringRef connectorc::machineColour(unsigned Index) {
  static const char *const Palette[] = {"#aec7e8", "#ffbb78", "#98df8a",
                                        "#ff9896", "#c5b0d5", "#c49c94",
                                        "#f7b6d2", "#dbdb8d", "#9edae5"};
  return Palette[Index % std::size(Palette)];
}

std::string connectorc::labelText(llvm::StringRef S) {
  std::string Out;
  for (size_t I = 0; I < S.size(); ++I) {
    unsigned char C = S[I];
    if (C == '\r' && I + 1 < S.size() && S[I + 1] == '\n')
      continue; // the \n that follows breaks the line
    if (C == '\r')
      Out += '\n';
    else if ((C < 0x20 && C != '\n') || C == 0x7f)
      Out += ' ';
    else
      Out += static_cast<char>(C);
  }
  return Out;
}

namespace {

/// \p S cut to about 200 bytes (at a UTF-8 boundary) and an ellipsis: a
/// graph is for reading, and Graphviz cannot lay out a node wider than 64K
/// points.
std::string shortened(llvm::StringRef S) {
  constexpr size_t MaxBytes = 200;
  if (S.size() <= MaxBytes)
    return S.str();
  size_t Cut = MaxBytes;
  while (Cut > 0 && (static_cast<unsigned char>(S[Cut]) & 0xc0) == 0x80)
    --Cut;
  return S.take_front(Cut).str() + "\u2026";
}

/// The id of binding \p Index, or "auto" for a candidate not resolved yet.
std::string bindingName(const ir::Plan &P, unsigned Index) {
  return Index < P.Bindings.size() ? P.Bindings[Index].Id : "auto";
}

std::vector<std::string> taskLines(const ir::Plan &P, const ir::Task &T) {
  std::vector<std::string> Lines;
  Lines.push_back(shortened(
      T.Role == "worker" ? T.Id : fmt::format("{} ({})", T.Id, T.Role)));
  if (T.Candidates.empty())
    return Lines;
  Lines.push_back(shortened("model: " + bindingName(P, T.Candidates.front())));
  std::vector<std::string> Fallbacks;
  for (unsigned C : llvm::drop_begin(T.Candidates))
    Fallbacks.push_back(bindingName(P, C));
  if (!Fallbacks.empty())
    Lines.push_back(shortened("fallbacks: " + llvm::join(Fallbacks, ", ")));
  return Lines;
}

class GraphBuilder {
public:
  explicit GraphBuilder(const ir::Plan &P) : P(P), NodeOfTask(P.Tasks.size()) {
    G.Title = "workflow " + shortened(P.Workflow);
  }

  PlanGraph build() {
    for (const ir::PlanStage &S : P.Stages)
      addCluster(S);
    for (unsigned T = 0; T < P.Tasks.size(); ++T)
      for (unsigned D : P.Tasks[T].Deps)
        addTaskEdge(D, T);
    for (unsigned S = 0; S < P.Stages.size(); ++S)
      for (unsigned D : P.Stages[S].DependsOn)
        if (!StagesJoined.contains({D, S}))
          G.Edges.push_back({G.Clusters[D].Nodes.front(),
                             G.Clusters[S].Nodes.front(), true, D, S});
    return std::move(G);
  }

private:
  void addCluster(const ir::PlanStage &S) {
    GraphCluster C;
    C.Label = fmt::format("{} ({})", shortened(S.Name),
                          ir::stageKindName(S.Kind).str());
    for (unsigned T : S.Tasks) {
      NodeOfTask[T] = G.Nodes.size();
      C.Nodes.push_back(G.Nodes.size());
      G.Nodes.push_back({taskLines(P, P.Tasks[T]), machine(P.Tasks[T])});
    }
    if (S.Tasks.empty()) {
      C.Nodes.push_back(G.Nodes.size());
      G.Nodes.push_back(
          {{S.Kind == ir::StageKind::Team ? "done when the team's stages are"
                                          : "no tasks"},
           0,
           true});
    }
    G.Clusters.push_back(std::move(C));
  }

  void addTaskEdge(unsigned From, unsigned To) {
    if (From >= P.Tasks.size())
      return; // verifyPlan rejects this; draw what is there
    G.Edges.push_back({NodeOfTask[From], NodeOfTask[To]});
    StagesJoined.insert({P.Tasks[From].Stage, P.Tasks[To].Stage});
  }

  unsigned machine(const ir::Task &T) {
    std::string Name = T.Machines.empty() ? "local" : T.Machines.front();
    auto [It, New] = MachineIndex.try_emplace(Name, G.Machines.size());
    if (New)
      G.Machines.push_back(shortened(Name));
    return It->second;
  }

  const ir::Plan &P;
  PlanGraph G;
  std::vector<unsigned> NodeOfTask;
  llvm::StringMap<unsigned> MachineIndex;
  llvm::DenseSet<std::pair<unsigned, unsigned>> StagesJoined;
};

} // namespace

PlanGraph connectorc::buildPlanGraph(const ir::Plan &P) {
  return GraphBuilder(P).build();
}
