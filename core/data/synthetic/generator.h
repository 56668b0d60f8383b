// Synthetic CRM data for the fedcrm demo and tests: one CSV per (task,
// region), deterministic by seed, with region-specific label mechanisms so
// that a model trained on all regions beats every region's own model (the
// reason to federate). docs/data.md describes the generative models.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace fedcrm::data::synthetic {

struct GeneratorOptions {
  std::string task;    // one of Tasks()
  std::string region;  // one of Regions(task)
  std::int64_t rows = 0;
  std::uint64_t seed = 0;
};

// What GenerateCsv wrote: rows and how many carry each label value.
struct GenerationSummary {
  std::int64_t rows = 0;
  std::map<std::string, std::int64_t> label_counts;
};

// "churn", "lead-scoring", "service".
std::vector<std::string> Tasks();
// The regions of `task`, at least eu, us and apac. Throws ConfigError for an
// unknown task.
std::vector<std::string> Regions(const std::string& task);
// The demo's row count for the region. Throws ConfigError.
std::int64_t DefaultRows(const std::string& task, const std::string& region);
// The task's feature schema in the JSON shape core/data/feature_schema.h
// parses. The CSV also holds an id column (first) that the schema leaves out.
nlohmann::json DefaultSchema(const std::string& task);

// Writes the header and options.rows records as RFC 4180 CSV. The same
// options give byte-identical output. Throws ConfigError for an unknown task
// or region or a negative row count; `summary`, when given, receives the
// counts.
void GenerateCsv(const GeneratorOptions& options, std::ostream& out,
                 GenerationSummary* summary = nullptr);

}  // namespace fedcrm::data::synthetic
