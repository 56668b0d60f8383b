#include "aggregator/aggregator_metrics.h"

#include <nlohmann/json.hpp>

namespace fedcrm::aggregator {

AggregatorMetrics::AggregatorMetrics()
    : rounds_(
          registry_.AddCounter("fedcrm_rounds_total", "Rounds finished, by result.", {"result"})),
      // Phases wait for silos that train in between: seconds to an hour.
      phase_duration_(registry_.AddHistogram("fedcrm_round_phase_duration_seconds",
                                             "Duration of secure-aggregation phases.",
                                             runtime::ExponentialBuckets(0.01, 4, 10), {"phase"})),
      participants_(registry_.AddGauge("fedcrm_round_participants",
                                       "Silos whose updates are in the last finished round.")),
      dropouts_(registry_.AddCounter("fedcrm_round_dropouts_total",
                                     "Silos that dropped out of a round, over all rounds.")),
      bytes_received_(registry_.AddCounter("fedcrm_secagg_bytes_received_total",
                                           "Bytes of secure-aggregation messages received.")),
      requests_(registry_.AddCounter("fedcrm_aggregator_requests_total",
                                     "API requests, by HTTP status code.", {"code"})),
      epsilon_spent_(registry_.AddGauge("fedcrm_privacy_epsilon_spent",
                                        "Epsilon spent per silo over every released model.",
                                        {"silo"})),
      epsilon_budget_(registry_.AddGauge("fedcrm_privacy_epsilon_budget",
                                         "Epsilon budget per silo.", {"silo"})),
      epsilon_remaining_(registry_.AddGauge("fedcrm_privacy_epsilon_remaining",
                                            "Epsilon budget left per silo.", {"silo"})),
      delta_(registry_.AddGauge("fedcrm_privacy_delta",
                                "The delta at which each silo's epsilon is reported.", {"silo"})),
      model_metric_(registry_.AddGauge(
          "fedcrm_model_metric",
          "The federated evaluation of each model line's latest evaluated model, by metric.",
          {"model_line", "metric"})) {
  // Zero series up front so dashboards see the results before the first round.
  rounds_.WithLabels({"succeeded"});
  rounds_.WithLabels({"failed"});
}

void AggregatorMetrics::RoundFinished(bool succeeded, int participants, int dropouts) {
  rounds_.WithLabels({succeeded ? "succeeded" : "failed"}).Increment();
  participants_.Get().Set(participants);
  if (dropouts > 0) dropouts_.Get().Increment(dropouts);
}

void AggregatorMetrics::PhaseClosed(const std::string& phase, double seconds) {
  phase_duration_.WithLabels({phase}).Observe(seconds);
}

void AggregatorMetrics::BytesReceived(size_t bytes) {
  bytes_received_.Get().Increment(static_cast<double>(bytes));
}

void AggregatorMetrics::Request(int status) {
  requests_.WithLabels({std::to_string(status)}).Increment();
}

void AggregatorMetrics::UpdatePrivacy(const std::vector<SiloSpending>& spending) {
  for (const SiloSpending& silo : spending) {
    epsilon_spent_.WithLabels({silo.silo}).Set(silo.epsilon_spent);
    delta_.WithLabels({silo.silo}).Set(silo.delta);
    if (auto remaining = silo.Remaining()) {
      epsilon_budget_.WithLabels({silo.silo}).Set(silo.budget);
      epsilon_remaining_.WithLabels({silo.silo}).Set(*remaining);
    } else {
      epsilon_budget_.Remove({silo.silo});
      epsilon_remaining_.Remove({silo.silo});
    }
  }
}

void AggregatorMetrics::ModelEvaluated(const std::string& model_line,
                                       const std::map<std::string, double>& metrics) {
  std::lock_guard<std::mutex> lock(line_metrics_mu_);
  for (const auto& [name, value] : line_metrics_[model_line]) {
    if (metrics.count(name) == 0) model_metric_.Remove({model_line, name});
  }
  for (const auto& [name, value] : metrics) model_metric_.WithLabels({model_line, name}).Set(value);
  line_metrics_[model_line] = metrics;
}

void AggregatorMetrics::RestoreModelMetrics(const std::vector<ReleaseRecord>& records) {
  for (const ReleaseRecord& record : records) {
    if (record.evaluation == nullptr || !record.evaluation->contains("metrics")) continue;
    std::map<std::string, double> metrics;
    for (const auto& [name, value] : (*record.evaluation)["metrics"].items()) {
      if (value.is_number()) metrics[name] = value.get<double>();
    }
    ModelEvaluated(record.model_line, metrics);
  }
}

}  // namespace fedcrm::aggregator
