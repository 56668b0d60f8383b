// fedcrm simulate: a federation of regional silos on this machine.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/support/network_federation.h"
#include "core/common/error.h"
#include "core/sim/federation.h"
#include "core/sim/report.h"
#include "core/sim/simulation_config.h"

namespace fedcrm::cli {
namespace {

constexpr const char* kHelp = R"(Usage: fedcrm simulate -f FILE [flags]

Runs a federation of regional silos in this process and prints, on the
held-out test rows of every region, how the same model does when trained
centralized (all data pooled), by each region alone, federated, and federated
with differential privacy.

FILE is shaped like the custom resources: spec.round is a FederatedRound spec,
spec.silos lists RegionSilo specs (see examples/churn.yaml).

Flags:
  -f, --file FILE    the simulation file (required)
  --report DIR       also write DIR/report.json and an SVG chart per metric
  --transport T      https (default): the private federation runs as a
                     fedcrm-aggregator and one fedcrm-worker process per silo,
                     over mutual TLS with secure aggregation; inproc: all in
                     this process, without secure aggregation (fast)
  --drop R@PHASE     (https) kill region R's worker before it sends PHASE
                     (keys|shares|masked|unmask, optionally STAGE/PHASE and
                     @ROUND, default round 1), to show dropout recovery;
                     repeatable
  --work-dir DIR     (https) certificates, data, logs and the aggregator's
                     store (default: a new directory under /tmp, removed
                     after a successful run)
  --rounds N         override spec.rounds
  --json             print the report as JSON instead of the table
  --secure-noise     draw DP noise from OS entropy (default: reproducible by spec.seed)
  --quiet            no progress output
)";

// A single self-rewriting line on a terminal; one line per finished strategy
// otherwise (CI logs stay short and readable).
class TerminalProgress : public sim::ProgressListener {
 public:
  explicit TerminalProgress(std::string metric)
      : metric_(std::move(metric)), tty_(isatty(STDERR_FILENO) != 0) {}

  void StrategyStarted(const std::string& label, int rounds) override {
    label_ = label;
    rounds_ = rounds;
  }

  void RoundFinished(const std::string& label, int round, int rounds, double metric) override {
    if (tty_) {
      constexpr int kWidth = 24;
      const int filled = kWidth * round / rounds;
      std::fprintf(stderr, "\r  %-22s [%s%s] %3d/%d  %s %.3f ", label.c_str(),
                   std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), round, rounds,
                   metric_.c_str(), metric);
      if (round == rounds) std::fputc('\n', stderr);
    } else if (round == rounds) {
      std::fprintf(stderr, "  %-22s %d rounds  %s %.3f\n", label.c_str(), rounds, metric_.c_str(),
                   metric);
    }
    std::fflush(stderr);
  }

 private:
  std::string metric_;
  bool tty_;
  std::string label_;
  int rounds_ = 0;
};

// "-f FILE" is the one short flag, as in kubectl apply -f.
Args ExpandShortFlags(const Args& args) {
  Args out;
  for (const auto& arg : args) out.push_back(arg == "-f" ? "--file" : arg);
  return out;
}

}  // namespace

int RunSimulate(const Args& raw_args) {
  Flags flags({"file", "report", "rounds", "transport", "drop", "work-dir"},
              {"json", "secure-noise", "quiet", "help"});
  flags.Parse(ExpandShortFlags(raw_args));
  if (flags.Bool("help")) {
    std::cout << kHelp;
    return 0;
  }
  if (!flags.positional().empty()) {
    throw ConfigError("fedcrm simulate", "unexpected argument '" + flags.positional()[0] +
                                             "' (the file goes after -f)");
  }
  sim::SimulationConfig config = sim::LoadSimulationConfig(flags.String("file"));
  if (flags.Has("rounds")) {
    const int64_t rounds = flags.Int("rounds");
    if (rounds < 1 || rounds > 10000) {
      throw ConfigError("flag --rounds", "must be in [1, 10000], got " + std::to_string(rounds));
    }
    config.rounds = static_cast<int>(rounds);
  }

  const bool binary_hint =
      config.schema.value("label", nlohmann::json::object()).value("type", std::string("binary")) ==
      "binary";
  TerminalProgress progress(sim::MetricTitle(binary_hint ? "roc_auc" : "accuracy"));
  sim::SimulationOptions options;
  options.secure_noise = flags.Bool("secure-noise");
  if (!flags.Bool("quiet")) {
    options.progress = &progress;
    std::cerr << "fedcrm simulate: " << config.silos.size() << " silos, " << config.rounds
              << " rounds (" << config.source << ")\n";
  }

  const std::string transport = flags.String("transport", "https");
  if (transport != "https" && transport != "inproc") {
    throw ConfigError("flag --transport", "expected https or inproc, got '" + transport + "'");
  }
  std::optional<std::filesystem::path> temporary_dir;
  if (transport == "https") {
    NetworkFederationOptions network;
    network.bin_dir = std::filesystem::canonical("/proc/self/exe").parent_path();
    if (flags.Has("work-dir")) {
      network.work_dir = flags.String("work-dir");
    } else {
      char pattern[] = "/tmp/fedcrm-simulate-XXXXXX";
      if (mkdtemp(pattern) == nullptr) throw ConfigError("/tmp", "cannot create a work directory");
      network.work_dir = pattern;
      temporary_dir = network.work_dir;
    }
    for (const auto& drop : flags.All("drop")) network.drops.push_back(ParseDropSpec(drop));
    network.progress = options.progress;
    network.reproducible_noise = !options.secure_noise;
    options.private_federation = [network](const sim::SimulationConfig& c, double sigma,
                                           const sim::Evaluator& evaluator) {
      return RunNetworkFederation(c, sigma, evaluator, network);
    };
    if (!flags.Bool("quiet")) {
      std::cerr << "private federation: fedcrm-aggregator + " << config.silos.size()
                << " fedcrm-worker processes over mutual TLS (work dir "
                << network.work_dir.string() << ")\n";
    }
  } else if (flags.Has("drop")) {
    throw ConfigError("flag --drop", "needs --transport https (workers are processes there)");
  }

  const sim::SimulationResult result = sim::RunSimulation(config, options);
  if (temporary_dir) std::filesystem::remove_all(*temporary_dir);
  if (flags.Bool("json")) {
    std::cout << sim::ResultToJson(result).dump(2) << "\n";
  } else {
    std::cout << "\n" << sim::FormatResultsTable(result);
  }
  if (flags.Has("report")) {
    sim::WriteReport(result, flags.String("report"));
    std::cerr << "report written to " << flags.String("report") << "/ (report.json, "
              << result.primary_metric << ".svg)\n";
  }
  return 0;
}

}  // namespace fedcrm::cli
