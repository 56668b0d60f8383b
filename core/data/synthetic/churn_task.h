// Churn: will a subscription account leave? Globally, declining logins
// together with a rise in friction tickets predict it; each region's data
// shows only part of that pattern (see docs/data.md for the model).
#pragma once

#include "core/data/synthetic/task_generator.h"

namespace fedcrm::data::synthetic {

class ChurnTask final : public TaskGenerator {
 public:
  ChurnTask();

  std::string_view name() const override { return "churn"; }
  std::string_view id_column() const override { return "account_id"; }
  std::string_view id_prefix() const override { return "A"; }
  const std::vector<RegionProfile>& regions() const override { return regions_; }
  nlohmann::json Schema() const override;
  void DrawRecord(std::size_t region, Sampler& sampler,
                  std::vector<std::string>* fields) const override;

 private:
  std::vector<RegionProfile> regions_;
};

}  // namespace fedcrm::data::synthetic
