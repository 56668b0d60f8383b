// What every party of one secure-aggregation round agrees on before it starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/secagg/neighbour_graph.h"

namespace fedcrm::secagg {

struct RoundParameters {
  std::string round_id;             // unique per round, e.g. "churn-global-r3/train"
  std::vector<std::string> roster;  // every invited client, any order (sorted on validation)
  int threshold = 0;                // t; 0 = the graph's default (a strict majority)
  GraphConfig graph;                // complete up to graph.complete_up_to clients
  int modulus_bits = 32;            // b: inputs and sums live in Z_{2^b}
  uint64_t vector_length = 0;       // d: coordinates of every input
};

// A validated round: the sorted roster, the neighbour graph and the effective
// threshold. Throws ConfigError naming the field for an invalid one.
class Round {
 public:
  explicit Round(RoundParameters params);

  const RoundParameters& params() const { return params_; }
  const std::string& id() const { return params_.round_id; }
  const NeighbourGraph& graph() const { return graph_; }
  int threshold() const { return threshold_; }
  int modulus_bits() const { return params_.modulus_bits; }
  uint64_t vector_length() const { return params_.vector_length; }
  const std::vector<std::string>& roster() const { return params_.roster; }
  bool Invited(const std::string& client) const { return graph_.Contains(client); }
  // 1-based position in the sorted roster: bound into share encryption.
  uint32_t IndexOf(const std::string& client) const;
  // 64 bits of SHA-256(round_id): binds ciphertexts to this round.
  uint64_t tag() const { return tag_; }

 private:
  RoundParameters params_;
  NeighbourGraph graph_;
  int threshold_ = 0;
  uint64_t tag_ = 0;
};

}  // namespace fedcrm::secagg
