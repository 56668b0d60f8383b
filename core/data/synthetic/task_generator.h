// One synthetic CRM task: its regions, its feature schema and the generative
// model that draws one record. generator.cc holds one instance per task and
// does the common work (ids, missing cells, CSV).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/synthetic/sampler.h"

namespace fedcrm::data::synthetic {

struct RegionProfile {
  std::string name;
  std::int64_t default_rows = 0;
  // Share of blank cells in each numeric column whose schema allows them
  // (missing: mean or zero); regions' export pipelines differ.
  double missing_rate = 0.0;
};

class TaskGenerator {
 public:
  virtual ~TaskGenerator() = default;

  virtual std::string_view name() const = 0;
  // The id column's header and the prefix of its values ("lead_id", "L").
  virtual std::string_view id_column() const = 0;
  virtual std::string_view id_prefix() const = 0;
  virtual const std::vector<RegionProfile>& regions() const = 0;
  std::vector<std::string> region_names() const {
    std::vector<std::string> names;
    for (const RegionProfile& region : regions()) names.push_back(region.name);
    return names;
  }
  virtual nlohmann::json Schema() const = 0;

  // Appends to *fields one complete record (no blanks) for
  // regions()[region]: the schema's features in order, then the label.
  virtual void DrawRecord(std::size_t region, Sampler& sampler,
                          std::vector<std::string>* fields) const = 0;
};

}  // namespace fedcrm::data::synthetic
