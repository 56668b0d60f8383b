// fedcrm-worker: one silo's part in one federated round.
//
//   1. GET the round (its config and stages); check this silo is on the roster.
//   2. Fetch the base model, verifying its digest, if the round has one.
//   3. Read the silo's CSV with the round's schema; hold out test rows (the
//      round's evaluation.holdoutFraction, else --test-fraction).
//   4. statistics stage (unless the base model's card already carries the
//      federation's statistics): securely sum [counts, sums, sums of squares,
//      rows] in fixed point; download the federation's sum.
//   5. training stage: standardize with the federation's statistics, train
//      locally (DP-SGD when the round configures privacy), securely sum the
//      quantized [w·Δ, w].
//   6. evaluation stage (rounds that configure one, contributors only): once
//      the model is released, score it on the held-out rows and securely sum
//      model::EvaluationSums. A failure here is logged, not fatal: the model
//      is released already.
//   7. Wait for the round's outcome.
//
// What leaves the silo is only protocol messages (docs/protocol.md); rows,
// statistics and the unmasked update stay in memory and out of the logs.
#pragma once

#include <cstdint>
#include <string>

#include "core/fl/aggregation.h"
#include "worker/worker_options.h"

namespace fedcrm::worker {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;  // the reason is the last log line

// Runs the round and returns the process exit code: kExitSuccess once the
// round succeeded, kSimulatedDropoutExitCode when --fail-at stopped it, and
// kExitFailure with a one-line JSON log of the reason for everything else
// (bad CSV, unreachable aggregator, refused identity, failed round, ...).
// Safe to call from several threads at once (in-process simulations).
int RunWorker(const WorkerOptions& options);

// Exposed for tests: the record weight of a silo with `rows` of `total_rows`
// under the round's weighting ("records": rows / total, "uniform": 1).
double SiloWeight(fl::Weighting weighting, int64_t rows, int64_t total_rows);

}  // namespace fedcrm::worker
