#include "core/data/synthetic/generator.h"

#include <cassert>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/common/error.h"
#include "core/data/synthetic/churn_task.h"
#include "core/data/synthetic/csv_writer.h"
#include "core/data/synthetic/lead_scoring_task.h"
#include "core/data/synthetic/sampler.h"
#include "core/data/synthetic/schema_json.h"
#include "core/data/synthetic/service_task.h"
#include "core/data/synthetic/task_generator.h"

namespace fedcrm::data::synthetic {
namespace {

// Ids are zero-padded to this many digits so they sort in file order.
constexpr int kIdDigits = 6;

const std::vector<std::unique_ptr<TaskGenerator>>& AllTasks() {
  static const auto* tasks = [] {
    auto* list = new std::vector<std::unique_ptr<TaskGenerator>>();
    list->push_back(std::make_unique<ChurnTask>());
    list->push_back(std::make_unique<LeadScoringTask>());
    list->push_back(std::make_unique<ServiceTask>());
    return list;
  }();
  return *tasks;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

const TaskGenerator& FindTask(const std::string& task) {
  for (const auto& generator : AllTasks()) {
    if (generator->name() == task) return *generator;
  }
  throw ConfigError("task", "unknown task '" + task + "'; expected one of " + JoinNames(Tasks()));
}

std::size_t FindRegion(const TaskGenerator& task, const std::string& region) {
  const auto& regions = task.regions();
  for (std::size_t i = 0; i < regions.size(); ++i) {
    if (regions[i].name == region) return i;
  }
  throw ConfigError("region", "unknown region '" + region + "' for task " +
                                  std::string(task.name()) + "; expected one of " +
                                  JoinNames(task.region_names()));
}

std::string RecordId(const TaskGenerator& task, const std::string& region, std::int64_t row) {
  std::string number = std::to_string(row);
  if (number.size() < kIdDigits) number.insert(0, kIdDigits - number.size(), '0');
  std::string upper_region = region;
  for (char& c : upper_region) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return std::string(task.id_prefix()) + "-" + upper_region + "-" + number;
}

// Positions (within a record, after the id) of the numeric features whose
// schema tolerates a blank cell.
std::vector<std::size_t> BlankableColumns(const nlohmann::json& schema) {
  std::vector<std::size_t> columns;
  const nlohmann::json& features = schema.at("features");
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (features[i].at("type") == "numeric" && features[i].at("missing") != "error") {
      columns.push_back(i);
    }
  }
  return columns;
}

}  // namespace

std::vector<std::string> Tasks() {
  std::vector<std::string> names;
  for (const auto& generator : AllTasks()) names.emplace_back(generator->name());
  return names;
}

std::vector<std::string> Regions(const std::string& task) { return FindTask(task).region_names(); }

std::int64_t DefaultRows(const std::string& task, const std::string& region) {
  const TaskGenerator& generator = FindTask(task);
  return generator.regions()[FindRegion(generator, region)].default_rows;
}

nlohmann::json DefaultSchema(const std::string& task) { return FindTask(task).Schema(); }

void GenerateCsv(const GeneratorOptions& options, std::ostream& out, GenerationSummary* summary) {
  const TaskGenerator& task = FindTask(options.task);
  const std::size_t region = FindRegion(task, options.region);
  if (options.rows < 0) {
    throw ConfigError("rows",
                      "expected a non-negative row count, got " + std::to_string(options.rows));
  }
  const nlohmann::json schema = task.Schema();
  const std::vector<std::size_t> blankable = BlankableColumns(schema);
  const double missing_rate = task.regions()[region].missing_rate;
  // Separate streams, so the values do not shift when the missing rate does.
  Sampler values(DeriveSeed(options.seed, options.task, options.region, "values"));
  Sampler blanks(DeriveSeed(options.seed, options.task, options.region, "missing"));

  CsvWriter writer(out);
  std::vector<std::string> record = {std::string(task.id_column())};
  const std::vector<std::string> columns = SchemaColumns(schema);
  record.insert(record.end(), columns.begin(), columns.end());
  writer.WriteRecord(record);

  GenerationSummary local;
  for (std::int64_t row = 1; row <= options.rows; ++row) {
    record.assign(1, RecordId(task, options.region, row));
    task.DrawRecord(region, values, &record);
    assert(record.size() == columns.size() + 1);
    for (std::size_t column : blankable) {
      if (blanks.Bernoulli(missing_rate)) record[column + 1].clear();
    }
    writer.WriteRecord(record);
    ++local.rows;
    ++local.label_counts[record.back()];
  }
  if (summary != nullptr) *summary = std::move(local);
}

}  // namespace fedcrm::data::synthetic
