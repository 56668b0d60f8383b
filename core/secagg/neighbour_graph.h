// Who masks with whom in a SecAgg+ round.
//
// Plain SecAgg (Bonawitz et al. 2017) pairs every client with every other:
// O(n^2) key agreements and shares. SecAgg+ (Bell et al. 2020) pairs each
// client only with its neighbours in a sparse k-regular graph, k = O(log n),
// and shares its secrets only among them. Every party must compute the same
// graph without talking, so it is a pure function of the set of client ids and
// the round id: a Harary graph (each node joined to the k/2 nearest on each
// side of a ring, plus the opposite node when k is odd) laid over a
// permutation of the clients drawn from SHA-256 of the round id. The Harary
// graph is k-connected, and the random permutation keeps the server from
// choosing who neighbours whom.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedcrm::secagg {

struct GraphConfig {
  // Up to this many clients the graph is complete (plain SecAgg): the sparse
  // graph saves little there and the complete one tolerates the most dropouts.
  int complete_up_to = 32;
  // Neighbours per client when the graph is sparse; 0 chooses
  // NeighbourGraph::DefaultDegree(n).
  int degree = 0;
};

class NeighbourGraph {
 public:
  // The graph of `client_ids` (in any order; the graph depends only on the
  // set) for `round_id`. Throws fedcrm::ConfigError for no clients, an empty
  // or duplicate id, negative config fields, or a sparse degree that no
  // k-regular graph on n nodes has (k >= n, or k and n both odd). The degree
  // is ignored when the graph is complete.
  static NeighbourGraph Build(const std::vector<std::string>& client_ids, std::string_view round_id,
                              const GraphConfig& config = {});

  // The default sparse degree for n clients: the smallest even k >= 3 log2(n),
  // capped at n - 1. Bell et al. need k = O(log n) for the graph to stay
  // connected under dropouts and for honest neighbourhoods to keep an honest
  // majority; the factor 3 is our choice, giving k = 20 at n = 100, 30 at
  // n = 1000 and 40 at n = 10000. Even k fits every n.
  static int DefaultDegree(int64_t num_clients);

  // The client ids, sorted.
  const std::vector<std::string>& client_ids() const { return ids_; }
  int64_t size() const { return static_cast<int64_t>(ids_.size()); }
  bool complete() const { return complete_; }
  bool Contains(std::string_view id) const;

  // Neighbours per client (n - 1 when complete).
  int Degree() const { return degree_; }

  // The Shamir threshold for a client's shares: a strict majority of its
  // neighbourhood counting itself, floor((k + 1) / 2) + 1. With more than
  // half of the k + 1 shares needed, the server cannot collect enough shares
  // of both a client's self-mask seed and its mask key (honest clients reveal
  // one or the other, never both), so it can never unmask one client's input.
  int DefaultThreshold() const { return (degree_ + 1) / 2 + 1; }

  // The neighbours of `id`, sorted, without `id` itself. Throws SecAggError
  // for an id not in the graph.
  std::vector<std::string> Neighbours(std::string_view id) const;

  // Whether a and b are distinct neighbours. Throws SecAggError for an id not
  // in the graph.
  bool AreNeighbours(std::string_view a, std::string_view b) const;

 private:
  NeighbourGraph(std::vector<std::string> ids, bool complete, int degree,
                 std::vector<std::vector<int>> adjacency)
      : ids_(std::move(ids)),
        complete_(complete),
        degree_(degree),
        adjacency_(std::move(adjacency)) {}

  int IndexOf(std::string_view id) const;

  std::vector<std::string> ids_;  // sorted, unique
  bool complete_;
  int degree_;
  // adjacency_[i]: sorted indices into ids_ of the neighbours of ids_[i];
  // empty for a complete graph, whose adjacency is implicit.
  std::vector<std::vector<int>> adjacency_;
};

}  // namespace fedcrm::secagg
