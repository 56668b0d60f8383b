// Choosing the DP-SGD noise multiplier for a target (epsilon, delta).
#pragma once

#include <cstdint>
#include <vector>

#include "core/privacy/rdp_accountant.h"

namespace fedcrm::privacy {

// The largest sigma the calibration will consider. Beyond it DP-SGD learns
// nothing useful, so asking for more means the target is unreasonable.
inline constexpr double kMaxNoiseMultiplier = 1e6;

// The smallest noise multiplier sigma (to `relative_tolerance`) for which
// `steps` steps of the sampled Gaussian mechanism at rate q are
// (target_epsilon, delta)-DP under the improved RDP conversion. The result
// errs upwards: epsilon(result) <= target_epsilon always holds. Returns 0
// when q = 0 or steps = 0 (nothing is revealed, no noise is needed).
//
// Epsilon falls as sigma grows, so this brackets the answer by doubling or
// halving and then bisects. Throws fedcrm::ConfigError on invalid arguments
// and when even kMaxNoiseMultiplier does not reach the target.
double CalibrateNoiseMultiplier(double target_epsilon, double q, int64_t steps, double delta,
                                const std::vector<double>& orders = DefaultOrders(),
                                double relative_tolerance = 1e-4);

}  // namespace fedcrm::privacy
