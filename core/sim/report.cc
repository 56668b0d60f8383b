#include "core/sim/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/error.h"
#include "core/model/model_card.h"
#include "core/model/model_file.h"
#include "core/model/model_store.h"
#include "core/sim/svg_chart.h"

namespace fedcrm::sim {
namespace {

std::string Fixed(double value, int precision) {
  if (!std::isfinite(value)) return "n/a";
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << value;
  return out.str();
}

std::string Pad(const std::string& text, size_t width, bool right = false) {
  // Width in code points, so "ε" and "·" do not skew the columns.
  size_t length = 0;
  for (unsigned char c : text) length += (c & 0xC0) != 0x80;
  if (length >= width) return text;
  const std::string fill(width - length, ' ');
  return right ? fill + text : text + fill;
}

const char* KindName(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kCentralized:
      return "centralized";
    case StrategyKind::kLocalOnly:
      return "local_only";
    case StrategyKind::kFederated:
      return "federated";
    case StrategyKind::kFederatedPrivate:
      return "federated_dp";
  }
  return "unknown";
}

double Metric(const StrategyResult& s, const std::string& key) {
  auto it = s.metrics.find(key);
  return it == s.metrics.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

const StrategyResult* Find(const SimulationResult& r, StrategyKind kind) {
  for (const auto& s : r.strategies) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

std::string EpsilonCell(const SimulationResult& r, const StrategyResult& s) {
  if (s.kind != StrategyKind::kFederatedPrivate) return "";
  std::string out;
  for (const auto& silo : r.silos) {
    if (!out.empty()) out += "  ";
    out += silo.name + " " + Fixed(s.epsilon_by_silo.at(silo.name), 2) + "/" +
           Fixed(silo.epsilon_budget, 2);
    // A silo that missed rounds (dropped out, or out of budget) says so.
    const auto rounds = s.rounds_by_silo.find(silo.name);
    if (rounds != s.rounds_by_silo.end() && rounds->second < r.rounds) {
      out += " (" + std::to_string(rounds->second) + "/" + std::to_string(r.rounds) + " rounds)";
    }
  }
  return out;
}

std::string Summary(const SimulationResult& r) {
  const StrategyResult* federated = Find(r, StrategyKind::kFederated);
  const StrategyResult* private_fed = Find(r, StrategyKind::kFederatedPrivate);
  const StrategyResult* centralized = Find(r, StrategyKind::kCentralized);
  const std::string& m = r.primary_metric;
  double best_alone = -std::numeric_limits<double>::infinity();
  std::string best_silo;
  for (const auto& s : r.strategies) {
    if (s.kind == StrategyKind::kLocalOnly && Metric(s, m) > best_alone) {
      best_alone = Metric(s, m);
      best_silo = s.silo;
    }
  }
  std::ostringstream out;
  if (federated && !best_silo.empty()) {
    const double gain = Metric(*federated, m) - best_alone;
    out << "Federated learning gained " << (gain >= 0 ? "+" : "") << Fixed(gain, 3) << " "
        << MetricTitle(m) << " over the best region alone (" << best_silo << ")";
    if (centralized) {
      out << " and is " << Fixed(std::abs(Metric(*centralized, m) - Metric(*federated, m)), 3)
          << " from pooling all the data";
    }
    out << ".\n";
  }
  if (federated && private_fed) {
    out << "With differential privacy (σ = " << Fixed(r.noise_multiplier, 3)
        << (r.noise_calibrated ? ", calibrated to the budgets" : "") << ", q = " << r.sampling_rate
        << ", C = " << r.clip_norm << ", δ = " << r.delta << ") ";
    const double cost = Metric(*federated, m) - Metric(*private_fed, m);
    if (cost > 0.0005) {
      out << "it costs " << Fixed(cost, 3) << " " << MetricTitle(m);
    } else {
      out << "it costs no measurable " << MetricTitle(m);
    }
    out << (private_fed->secure_aggregation
                ? "; no customer row left its region, and the aggregator saw only the sum of "
                  "the regions' masked updates.\n"
                : "; no customer row left its region.\n");
  }
  return out.str();
}

// The model card of a federated strategy's final model: what it was trained
// on, how well it does, and what privacy it guarantees per silo.
model::ModelCard CardFor(const SimulationResult& r, const StrategyResult& s) {
  model::ModelCard card;
  card.task = r.task;
  card.spec = r.model_spec;
  card.schema = r.schema;
  card.feature_statistics = r.feature_statistics;
  card.metrics = s.metrics;
  if (s.kind == StrategyKind::kFederatedPrivate) {
    card.privacy = {
        {"mechanism", "DP-SGD (Poisson sampling, per-example clipping, Gaussian noise)"},
        {"accountant", "RDP of the sampled Gaussian, improved conversion"},
        {"noiseMultiplier", r.noise_multiplier},
        {"samplingRate", r.sampling_rate},
        {"clipNorm", r.clip_norm},
        {"steps", r.local_steps * r.rounds},
        {"delta", r.delta},
        {"epsilonBySilo", s.epsilon_by_silo}};
  } else {
    card.privacy = {{"mechanism", "none"}};
  }
  nlohmann::json silos = nlohmann::json::array();
  for (const auto& silo : r.silos) silos.push_back(silo.name);
  card.lineage = {{"createdBy", "fedcrm simulate"},
                  {"simulation", r.name},
                  {"strategy", s.label},
                  {"rounds", r.rounds},
                  {"silos", silos}};
  return card;
}

// Saves the federated models into DIR/models (content-addressed) and returns
// {strategy label: digest}.
nlohmann::json SaveModels(const SimulationResult& r, const std::filesystem::path& dir) {
  model::ModelStore store(dir / "models");
  nlohmann::json digests = nlohmann::json::object();
  for (const auto& s : r.strategies) {
    if (s.kind != StrategyKind::kFederated && s.kind != StrategyKind::kFederatedPrivate) continue;
    auto m = model::MakeModel(r.model_spec, 0);
    m->SetParameters(s.parameters);
    digests[s.label] = store.Put(model::SerializeModel(*m, CardFor(r, s)));
  }
  return digests;
}

}  // namespace

std::string MetricTitle(const std::string& metric) {
  if (metric == "roc_auc") return "ROC AUC";
  if (metric == "pr_auc") return "PR AUC";
  if (metric == "log_loss") return "log-loss";
  if (metric == "accuracy") return "accuracy";
  if (metric == "macro_f1") return "macro-F1";
  if (metric == "brier") return "Brier";
  return metric;
}

std::string FormatResultsTable(const SimulationResult& r) {
  const std::string& primary = r.primary_metric;
  const std::string& secondary = r.secondary_metric;
  int64_t test_rows = 0;
  for (const auto& silo : r.silos) test_rows += silo.test_rows;

  std::ostringstream out;
  out << r.task << " · " << r.model_type << " · " << r.silos.size() << " silos · " << r.rounds
      << " rounds × " << r.local_steps << " local steps · held-out test rows of every region ("
      << test_rows << ")\n\n";

  constexpr size_t kLabel = 24;
  constexpr size_t kCell = 10;
  size_t region_cell = kCell;  // wide enough for every silo's name
  for (const auto& silo : r.silos) region_cell = std::max(region_cell, silo.name.size() + 2);
  out << Pad("", kLabel) << Pad(MetricTitle(primary), kCell, true)
      << Pad(MetricTitle(secondary), kCell, true) << "  │";
  for (const auto& silo : r.silos) out << Pad(silo.name, region_cell, true);
  out << "  │ ε spent / budget (δ = " << r.delta << ")\n";
  out << std::string(kLabel + 2 * kCell + 2, '-') << "-+-"
      << std::string(region_cell * r.silos.size() + 1, '-') << "+" << std::string(28, '-') << "\n";

  for (const auto& s : r.strategies) {
    std::string label = s.label;
    if (s.kind == StrategyKind::kCentralized) label += " *";
    out << Pad(label, kLabel) << Pad(Fixed(Metric(s, primary), 3), kCell, true)
        << Pad(Fixed(Metric(s, secondary), 3), kCell, true) << "  │";
    for (const auto& silo : r.silos) {
      out << Pad(Fixed(s.metrics_by_region.at(silo.name).at(primary), 3), region_cell, true);
    }
    out << "  │ " << EpsilonCell(r, s) << "\n";
  }
  out << "\nColumns: " << MetricTitle(primary) << " and " << MetricTitle(secondary)
      << " on the union of the test sets, then " << MetricTitle(primary)
      << " on each region's own test set.\n"
      << "* Pooling every region's rows is what data-residency law forbids: the upper bound.\n\n"
      << Summary(r);
  return out.str();
}

nlohmann::json ResultToJson(const SimulationResult& r) {
  nlohmann::json silos = nlohmann::json::array();
  for (const auto& silo : r.silos) {
    silos.push_back({{"name", silo.name},
                     {"region", silo.region},
                     {"jurisdiction", silo.jurisdiction},
                     {"trainRows", silo.train_rows},
                     {"testRows", silo.test_rows},
                     {"positiveRate", silo.positive_rate},
                     {"epsilonBudget", silo.epsilon_budget}});
  }
  nlohmann::json strategies = nlohmann::json::array();
  for (const auto& s : r.strategies) {
    nlohmann::json entry = {{"label", s.label},
                            {"kind", KindName(s.kind)},
                            {"curve", s.curve},
                            {"metrics", s.metrics},
                            {"metricsByRegion", s.metrics_by_region}};
    if (!s.silo.empty()) entry["silo"] = s.silo;
    if (s.kind == StrategyKind::kFederatedPrivate) {
      entry["secureAggregation"] = s.secure_aggregation;
      entry["epsilonBySilo"] = s.epsilon_by_silo;
      entry["roundsBySilo"] = s.rounds_by_silo;
    }
    strategies.push_back(std::move(entry));
  }
  return {{"name", r.name},
          {"task", r.task},
          {"model", r.model_type},
          {"rounds", r.rounds},
          {"localSteps", r.local_steps},
          {"primaryMetric", r.primary_metric},
          {"privacy",
           {{"noiseMultiplier", r.noise_multiplier},
            {"noiseMultiplierCalibrated", r.noise_calibrated},
            {"samplingRate", r.sampling_rate},
            {"clipNorm", r.clip_norm},
            {"delta", r.delta}}},
          {"silos", silos},
          {"strategies", strategies},
          {"seconds", r.seconds}};
}

void WriteReport(const SimulationResult& r, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw ConfigError(dir.string(), "cannot create the report directory: " + ec.message());

  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw ConfigError((dir / name).string(), "cannot write the report file");
  };
  nlohmann::json report = ResultToJson(r);
  report["models"] = SaveModels(r, dir);
  write("report.json", report.dump(2) + "\n");

  LineChart chart;
  chart.title =
      r.task + ": " + MetricTitle(r.primary_metric) + " per round on every region's test rows";
  chart.y_label = MetricTitle(r.primary_metric);
  for (const auto& s : r.strategies) {
    chart.series.push_back(
        {s.label, s.curve,
         s.kind == StrategyKind::kCentralized || s.kind == StrategyKind::kLocalOnly});
  }
  write(r.primary_metric + ".svg", RenderSvg(chart));
}

}  // namespace fedcrm::sim
