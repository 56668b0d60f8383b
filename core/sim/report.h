// Presenting a simulation: the results table for the terminal, and the
// report directory (report.json plus an SVG chart per metric).
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/sim/simulation_result.h"

namespace fedcrm::sim {

// The table `fedcrm simulate` prints, with a closing line on what federated
// learning gained over the regions alone and what DP cost.
std::string FormatResultsTable(const SimulationResult& result);

nlohmann::json ResultToJson(const SimulationResult& result);

// Writes DIR/report.json and DIR/<metric>.svg (one line per strategy).
// Creates DIR. Throws ConfigError if it cannot write there.
void WriteReport(const SimulationResult& result, const std::filesystem::path& dir);

// Human name of a metric key ("roc_auc" -> "ROC AUC").
std::string MetricTitle(const std::string& metric);

}  // namespace fedcrm::sim
