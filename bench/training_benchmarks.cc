#include "bench/training_benchmarks.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>

#include "bench/bench_data.h"
#include "core/model/model.h"
#include "core/train/local_trainer.h"
#include "core/train/secure_random.h"

namespace fedcrm::bench {
namespace {

constexpr uint64_t kModelSeed = 7;
// A fixed key keeps runs repeatable; AES-CTR costs the same under any key,
// so the timing is that of FromOsEntropy().
constexpr uint64_t kNoiseSeed = 11;

struct TrainingCase {
  std::shared_ptr<const data::Dataset> data;
  std::shared_ptr<const model::Model> global;
  train::LocalTrainingConfig config;
};

// One iteration is one TrainLocal call of config.steps steps; items are the
// examples actually used (Poisson batches vary in size).
void RunTraining(benchmark::State& state, const TrainingCase& c) {
  auto rng = train::SecureRandom::ForTesting(kNoiseSeed);
  int64_t examples = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    const train::LocalTrainingResult result = train::TrainLocal(*c.global, *c.data, c.config, rng);
    benchmark::DoNotOptimize(result.delta.data());
    examples += result.examples_used;
    steps += result.steps;
  }
  state.SetItemsProcessed(examples);
  state.counters["steps_per_second"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["mean_batch_size"] =
      static_cast<double>(examples) / static_cast<double>(std::max<int64_t>(steps, 1));
}

// Throughput is reported per CPU second of the process (Google Benchmark's
// items_per_second without UseRealTime): the machines this runs on are shared
// with builds, and CPU time of a single-threaded run is what an idle core's
// wall time would be. Every side of the comparison runs on one thread. The
// JSON output keeps every repetition so the report can take the best one,
// the least disturbed by other load.
void Register(const std::string& name, const TrainingCase& c, const BenchConfig& config) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [c](benchmark::State& state) { RunTraining(state, c); })
      ->Unit(benchmark::kMillisecond)
      ->MinTime(config.min_time_s)
      ->Repetitions(config.repetitions)
      ->DisplayAggregatesOnly(true)
      ->MeasureProcessCPUTime();
}

}  // namespace

void RegisterTrainingBenchmarks(const BenchConfig& config, const std::string& data_dir) {
  std::map<std::string, std::shared_ptr<const data::Dataset>> datasets;
  for (const TrainingWorkload& workload : config.training) {
    auto& data = datasets[workload.dataset];
    if (!data) {
      data = std::make_shared<const data::Dataset>(LoadBenchDataset(data_dir, workload.dataset));
    }
    TrainingCase c;
    c.data = data;
    c.global = model::MakeModel(workload.model, kModelSeed);
    c.config.steps = config.steps;
    c.config.learning_rate = config.learning_rate;
    c.config.batch_size = config.batch_size;

    Register("train/sgd/" + workload.name, c, config);
    c.config.dp = train::DpSgdConfig{.sampling_rate = config.SamplingRate(),
                                     .noise_multiplier = config.noise_multiplier,
                                     .clip_norm = config.clip_norm};
    Register("train/dp_sgd/" + workload.name, c, config);
  }
}

}  // namespace fedcrm::bench
