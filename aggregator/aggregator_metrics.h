// The aggregator's Prometheus metrics, all in one registry that the metrics
// port renders:
//
//   fedcrm_rounds_total{result}                    rounds finished: succeeded | failed
//   fedcrm_round_phase_duration_seconds{phase}     histogram; phase = "<stage>/<secagg phase>"
//   fedcrm_round_participants                      contributors of the last finished round
//   fedcrm_round_dropouts_total                    silos dropped, over all rounds
//   fedcrm_secagg_bytes_received_total             bytes of protocol bodies received (before
//                                                  decoding, refused ones included)
//   fedcrm_aggregator_requests_total{code}         API requests by HTTP status
//   fedcrm_privacy_epsilon_spent{silo}             from the release log, at the silo's delta
//   fedcrm_privacy_epsilon_budget{silo}            silos with a budget only
//   fedcrm_privacy_epsilon_remaining{silo}         silos with a budget only
//   fedcrm_privacy_delta{silo}
//   fedcrm_model_metric{model_line, metric}       the latest federated evaluation of each line's
//                                                  released model (rounds with an evaluation stage)
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aggregator/release_log.h"
#include "runtime/metric_registry.h"

namespace fedcrm::aggregator {

class AggregatorMetrics {
 public:
  AggregatorMetrics();

  void RoundFinished(bool succeeded, int participants, int dropouts);
  void PhaseClosed(const std::string& phase, double seconds);
  void BytesReceived(size_t bytes);
  void Request(int status);
  // Replaces the privacy gauges with `spending` (from ReleaseLog::Spending()).
  void UpdatePrivacy(const std::vector<SiloSpending>& spending);
  // Sets the line's model metrics to `metrics` (name → value), dropping
  // names the latest evaluation no longer reports.
  void ModelEvaluated(const std::string& model_line, const std::map<std::string, double>& metrics);
  // The latest evaluation of each model line in `records` (release-log order).
  void RestoreModelMetrics(const std::vector<ReleaseRecord>& records);

  runtime::Registry& registry() { return registry_; }
  std::string Render() const { return registry_.Render(); }

 private:
  runtime::Registry registry_;
  runtime::Family<runtime::Counter>& rounds_;
  runtime::Family<runtime::Histogram>& phase_duration_;
  runtime::Family<runtime::Gauge>& participants_;
  runtime::Family<runtime::Counter>& dropouts_;
  runtime::Family<runtime::Counter>& bytes_received_;
  runtime::Family<runtime::Counter>& requests_;
  runtime::Family<runtime::Gauge>& epsilon_spent_;
  runtime::Family<runtime::Gauge>& epsilon_budget_;
  runtime::Family<runtime::Gauge>& epsilon_remaining_;
  runtime::Family<runtime::Gauge>& delta_;
  runtime::Family<runtime::Gauge>& model_metric_;
  std::mutex line_metrics_mu_;  // rounds finish concurrently
  std::map<std::string, std::map<std::string, double>> line_metrics_;
};

}  // namespace fedcrm::aggregator
