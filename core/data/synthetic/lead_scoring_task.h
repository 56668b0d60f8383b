// Lead scoring: will a B2B lead convert? Each region's buyers convert after a
// different kind of engagement (see docs/data.md for the model).
#pragma once

#include "core/data/synthetic/task_generator.h"

namespace fedcrm::data::synthetic {

class LeadScoringTask final : public TaskGenerator {
 public:
  LeadScoringTask();

  std::string_view name() const override { return "lead-scoring"; }
  std::string_view id_column() const override { return "lead_id"; }
  std::string_view id_prefix() const override { return "L"; }
  const std::vector<RegionProfile>& regions() const override { return regions_; }
  nlohmann::json Schema() const override;
  void DrawRecord(std::size_t region, Sampler& sampler,
                  std::vector<std::string>* fields) const override;

 private:
  std::vector<RegionProfile> regions_;
};

}  // namespace fedcrm::data::synthetic
