// Google Benchmark cases for fedcrm's SecAgg+, all clients in one process
// with no network, every message passed through its wire encoding:
//
//   secagg/client_mask/n<N>/d<D>          one client's SecAggClient::OnShareInbox
//                                         (open the neighbours' shares, add the
//                                         self mask and the pairwise masks)
//   secagg/client_quantize_mask/n<N>/d<D>  the same after secagg::Quantize of a
//                                         float update, as Flower's client stage does
//   secagg/server_unmask/n<N>/d<D>/drop<P>  SecAggServer::ClosePhase of the unmask
//                                         phase (sum the masked inputs, rebuild the
//                                         seeds, remove every mask), with P% of the
//                                         clients dropped after sharing keys
//   secagg/plaintext_sum/n<N>/d<D>        summing N plaintext vectors in Z_{2^b}:
//                                         the floor the server's cost is held against
//
//   secagg/wire_bytes/n1024/d1048576      bytes only, in Bonawitz et al.'s setting
//
// Key and share messages pass through their wire encoding. The server cases
// also report, as counters, the bytes each surviving client
// sends and receives over the whole round (from Encode(...) of its messages)
// and the bytes of the same vector sent in plaintext.
#pragma once

#include "bench/bench_config.h"

namespace fedcrm::bench {

void RegisterSecAggBenchmarks(const BenchConfig& config);

}  // namespace fedcrm::bench
