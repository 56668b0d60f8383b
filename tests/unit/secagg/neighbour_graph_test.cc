#include "core/secagg/neighbour_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "silo-%04d", i);
    ids.push_back(name);
  }
  return ids;
}

// Checks k-regularity, symmetry, no self-loops and sorted, unique lists.
void ExpectRegularAndSymmetric(const NeighbourGraph& graph, int k) {
  ASSERT_EQ(graph.Degree(), k);
  for (const std::string& id : graph.client_ids()) {
    const std::vector<std::string> neighbours = graph.Neighbours(id);
    ASSERT_EQ(static_cast<int>(neighbours.size()), k) << id;
    EXPECT_TRUE(std::is_sorted(neighbours.begin(), neighbours.end())) << id;
    EXPECT_EQ(std::adjacent_find(neighbours.begin(), neighbours.end()), neighbours.end()) << id;
    EXPECT_FALSE(graph.AreNeighbours(id, id));
    for (const std::string& other : neighbours) {
      ASSERT_NE(other, id);
      EXPECT_TRUE(graph.AreNeighbours(id, other));
      EXPECT_TRUE(graph.AreNeighbours(other, id)) << id << " - " << other;
    }
  }
}

bool IsConnected(const NeighbourGraph& graph) {
  std::set<std::string> seen = {graph.client_ids().front()};
  std::queue<std::string> frontier;
  frontier.push(graph.client_ids().front());
  while (!frontier.empty()) {
    const std::string id = frontier.front();
    frontier.pop();
    for (const std::string& next : graph.Neighbours(id)) {
      if (seen.insert(next).second) frontier.push(next);
    }
  }
  return static_cast<int64_t>(seen.size()) == graph.size();
}

TEST(NeighbourGraphTest, SmallRoundsUseTheCompleteGraph) {
  const NeighbourGraph graph =
      NeighbourGraph::Build({"us-east", "eu-west", "ap-south", "eu-north", "sa-east"}, "round-1");
  EXPECT_TRUE(graph.complete());
  EXPECT_EQ(graph.size(), 5);
  EXPECT_EQ(graph.client_ids(),
            (std::vector<std::string>{"ap-south", "eu-north", "eu-west", "sa-east", "us-east"}));
  ExpectRegularAndSymmetric(graph, 4);
  EXPECT_EQ(graph.Neighbours("eu-west"),
            (std::vector<std::string>{"ap-south", "eu-north", "sa-east", "us-east"}));
  EXPECT_EQ(graph.DefaultThreshold(), 3);  // 3 of the 5 shares: a strict majority

  const NeighbourGraph at_limit = NeighbourGraph::Build(Ids(32), "round-1");
  EXPECT_TRUE(at_limit.complete());
  ExpectRegularAndSymmetric(at_limit, 31);
  EXPECT_EQ(at_limit.DefaultThreshold(), 17);

  const NeighbourGraph single = NeighbourGraph::Build({"only"}, "round-1");
  EXPECT_EQ(single.Degree(), 0);
  EXPECT_TRUE(single.Neighbours("only").empty());
  EXPECT_EQ(single.DefaultThreshold(), 1);
}

TEST(NeighbourGraphTest, DefaultDegreeGrowsLogarithmically) {
  EXPECT_EQ(NeighbourGraph::DefaultDegree(1), 0);
  EXPECT_EQ(NeighbourGraph::DefaultDegree(2), 1);
  EXPECT_EQ(NeighbourGraph::DefaultDegree(3), 2);
  EXPECT_EQ(NeighbourGraph::DefaultDegree(33), 16);
  EXPECT_EQ(NeighbourGraph::DefaultDegree(100), 20);
  EXPECT_EQ(NeighbourGraph::DefaultDegree(1000), 30);
  EXPECT_EQ(NeighbourGraph::DefaultDegree(1024), 30);
  EXPECT_EQ(NeighbourGraph::DefaultDegree(10000), 40);
}

TEST(NeighbourGraphTest, LargeRoundsUseASparseRegularConnectedGraph) {
  const NeighbourGraph graph = NeighbourGraph::Build(Ids(200), "round-7");
  EXPECT_FALSE(graph.complete());
  ExpectRegularAndSymmetric(graph, NeighbourGraph::DefaultDegree(200));
  EXPECT_EQ(graph.Degree(), 24);
  EXPECT_EQ(graph.DefaultThreshold(), 13);
  EXPECT_TRUE(IsConnected(graph));
}

TEST(NeighbourGraphTest, ExplicitDegreesIncludingOddOnesWithEvenCounts) {
  const GraphConfig odd{.complete_up_to = 32, .degree = 5};
  const NeighbourGraph graph = NeighbourGraph::Build(Ids(40), "round-3", odd);
  ExpectRegularAndSymmetric(graph, 5);
  EXPECT_EQ(graph.DefaultThreshold(), 4);
  EXPECT_TRUE(IsConnected(graph));

  const GraphConfig ring{.complete_up_to = 0, .degree = 2};
  const NeighbourGraph cycle = NeighbourGraph::Build(Ids(9), "round-3", ring);
  ExpectRegularAndSymmetric(cycle, 2);
  EXPECT_TRUE(IsConnected(cycle));

  const GraphConfig nearly_complete{.complete_up_to = 0, .degree = 10};
  ExpectRegularAndSymmetric(NeighbourGraph::Build(Ids(11), "r", nearly_complete), 10);
}

TEST(NeighbourGraphTest, EveryPartyComputesTheSameGraphForARound) {
  std::vector<std::string> shuffled = Ids(150);
  std::mt19937 generator(3);
  std::shuffle(shuffled.begin(), shuffled.end(), generator);
  const NeighbourGraph a = NeighbourGraph::Build(Ids(150), "round-42");
  const NeighbourGraph b = NeighbourGraph::Build(shuffled, "round-42");
  for (const std::string& id : a.client_ids()) {
    EXPECT_EQ(a.Neighbours(id), b.Neighbours(id)) << id;
  }
}

TEST(NeighbourGraphTest, DifferentRoundsGetDifferentGraphs) {
  const NeighbourGraph a = NeighbourGraph::Build(Ids(150), "round-42");
  const NeighbourGraph b = NeighbourGraph::Build(Ids(150), "round-43");
  int differing = 0;
  for (const std::string& id : a.client_ids()) {
    if (a.Neighbours(id) != b.Neighbours(id)) ++differing;
  }
  // A fresh random permutation leaves hardly any neighbourhood unchanged.
  EXPECT_GT(differing, 140);

  // Neighbours are not simply the ring neighbours in sorted id order.
  const std::vector<std::string> all = Ids(150);
  std::vector<std::string> sorted_ring(all.begin() + 1, all.begin() + 12);
  sorted_ring.insert(sorted_ring.end(), all.end() - 11, all.end());
  ASSERT_EQ(a.Degree(), 22);
  EXPECT_NE(a.Neighbours("silo-0000"), sorted_ring);
}

TEST(NeighbourGraphTest, RejectsInvalidClientSetsAndDegrees) {
  EXPECT_THROW(NeighbourGraph::Build({}, "r"), ConfigError);
  EXPECT_THROW(NeighbourGraph::Build({"a", ""}, "r"), ConfigError);
  try {
    NeighbourGraph::Build({"a", "b", "a"}, "r");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(NeighbourGraph::Build(Ids(40), "r", {.complete_up_to = 32, .degree = 40}),
               ConfigError);
  EXPECT_THROW(NeighbourGraph::Build(Ids(41), "r", {.complete_up_to = 32, .degree = 7}),
               ConfigError);
  EXPECT_THROW(NeighbourGraph::Build(Ids(4), "r", {.complete_up_to = -1, .degree = 0}),
               ConfigError);
  EXPECT_THROW(NeighbourGraph::Build(Ids(4), "r", {.complete_up_to = 32, .degree = -2}),
               ConfigError);
  // A degree that would be invalid is ignored while the graph is complete.
  EXPECT_NO_THROW(NeighbourGraph::Build(Ids(5), "r", {.complete_up_to = 32, .degree = 7}));
}

TEST(NeighbourGraphTest, UnknownIdsAreProtocolErrors) {
  const NeighbourGraph sparse = NeighbourGraph::Build(Ids(50), "r");
  const NeighbourGraph complete = NeighbourGraph::Build(Ids(5), "r");
  EXPECT_FALSE(sparse.Contains("intruder"));
  EXPECT_TRUE(sparse.Contains("silo-0049"));
  EXPECT_THROW(sparse.Neighbours("intruder"), SecAggError);
  EXPECT_THROW(sparse.AreNeighbours("silo-0001", "intruder"), SecAggError);
  EXPECT_THROW(complete.AreNeighbours("intruder", "silo-0001"), SecAggError);
}

}  // namespace
}  // namespace fedcrm::secagg
