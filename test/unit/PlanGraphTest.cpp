//===- PlanGraphTest.cpp - the graph the dot and mermaid backends draw ----===//
#include "backends/PlanGraph.h"

#include <gtest/gtest.h>

using namespace connectorc;

namespace {

/// Stages: "a" (two tasks on two machines, the second with a fallback),
/// "t" a team with no tasks waiting for "t/x", "t/x" (one task, after "a"),
/// "c" after "t" and after "a" (c/1 depends on a/1 directly too).
ir::Plan teamPlan() {
  ir::Plan P;
  P.Workflow = "w";
  for (const char *Id : {"p/one", "p/two"}) {
    ir::ModelBinding B;
    B.Id = Id;
    P.Bindings.push_back(B);
  }
  auto AddStage = [&](std::string Name, ir::StageKind Kind,
                      std::vector<unsigned> Deps) {
    ir::PlanStage S;
    S.Name = std::move(Name);
    S.Kind = Kind;
    S.DependsOn = std::move(Deps);
    P.Stages.push_back(S);
  };
  auto AddTask = [&](std::string Id, unsigned Stage, std::string Machine,
                     llvm::SmallVector<unsigned, 3> Candidates) {
    ir::Task T;
    T.Id = std::move(Id);
    T.Stage = Stage;
    T.Machines = {std::move(Machine)};
    T.Candidates = std::move(Candidates);
    P.Stages[Stage].Tasks.push_back(P.Tasks.size());
    P.Tasks.push_back(T);
  };
  AddStage("a", ir::StageKind::Workers, {});
  AddStage("t", ir::StageKind::Team, {2});
  AddStage("t/x", ir::StageKind::Workers, {0});
  AddStage("c", ir::StageKind::Workers, {1, 0});
  AddTask("a/1", 0, "local", {0});
  AddTask("a/2", 0, "server", {1, 0});
  AddTask("t/x/1", 2, "server", {0});
  AddTask("c/1", 3, "local", {1});
  P.Tasks[3].Deps.push_back(0);
  return P;
}

TEST(PlanGraph, ClustersNodesAndMachines) {
  PlanGraph G = buildPlanGraph(teamPlan());
  EXPECT_EQ(G.Title, "workflow w");
  ASSERT_EQ(G.Clusters.size(), 4u);
  EXPECT_EQ(G.Clusters[0].Label, "a (workers)");
  EXPECT_EQ(G.Clusters[1].Label, "t (team)");
  ASSERT_EQ(G.Nodes.size(), 5u); // four tasks and the team's placeholder
  EXPECT_EQ(G.Nodes[1].Lines, (std::vector<std::string>{"a/2", "model: p/two",
                                                        "fallbacks: p/one"}));
  EXPECT_TRUE(G.Nodes[2].Placeholder);
  EXPECT_EQ(G.Clusters[1].Nodes, std::vector<unsigned>{2});
  EXPECT_EQ(G.Machines, (std::vector<std::string>{"local", "server"}));
  EXPECT_EQ(G.Nodes[0].Machine, 0u);
  EXPECT_EQ(G.Nodes[1].Machine, 1u);
  EXPECT_EQ(G.Nodes[4].Machine, 0u);
}

TEST(PlanGraph, StageEdgesOnlyWhereNoTaskEdgeShowsThem) {
  PlanGraph G = buildPlanGraph(teamPlan());
  std::vector<std::pair<unsigned, unsigned>> TaskEdges, StageEdges;
  for (const GraphEdge &E : G.Edges)
    if (E.BetweenStages)
      StageEdges.push_back({E.FromCluster, E.ToCluster});
    else
      TaskEdges.push_back({E.From, E.To});
  // c/1 (node 4) waits for a/1 (node 0): a task edge, and so no a -> c.
  EXPECT_EQ(TaskEdges, (std::vector<std::pair<unsigned, unsigned>>{{0, 4}}));
  EXPECT_EQ(StageEdges, (std::vector<std::pair<unsigned, unsigned>>{
                            {2, 1}, {0, 2}, {1, 3}}));
  for (const GraphEdge &E : G.Edges)
    if (E.BetweenStages) {
      EXPECT_EQ(E.From, G.Clusters[E.FromCluster].Nodes.front());
      EXPECT_EQ(E.To, G.Clusters[E.ToCluster].Nodes.front());
    }
}

TEST(PlanGraph, LongLabelLinesAreShortenedAtACharacter) {
  ir::Plan P = teamPlan();
  P.Stages[0].Name = std::string(199, 'x') + "\xc3\xa9" + "tail";
  PlanGraph G = buildPlanGraph(P);
  EXPECT_EQ(G.Clusters[0].Label,
            std::string(199, 'x') + "\xe2\x80\xa6 (workers)");
}

} // namespace
