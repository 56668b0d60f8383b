// Service routing: which resolution closes a support ticket best? Each
// region has its own policies on top of shared signals, and the ticket text
// carries noisy hints (see docs/data.md for the model).
#pragma once

#include "core/data/synthetic/task_generator.h"

namespace fedcrm::data::synthetic {

class ServiceTask final : public TaskGenerator {
 public:
  ServiceTask();

  std::string_view name() const override { return "service"; }
  std::string_view id_column() const override { return "ticket_id"; }
  std::string_view id_prefix() const override { return "T"; }
  const std::vector<RegionProfile>& regions() const override { return regions_; }
  nlohmann::json Schema() const override;
  void DrawRecord(std::size_t region, Sampler& sampler,
                  std::vector<std::string>* fields) const override;

 private:
  std::vector<RegionProfile> regions_;
};

}  // namespace fedcrm::data::synthetic
