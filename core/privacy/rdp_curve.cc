#include "core/privacy/rdp_curve.h"

#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "core/common/error.h"

namespace fedcrm::privacy {
namespace {

std::string Str(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

}  // namespace

void ValidateOrders(const std::vector<double>& orders, const char* where) {
  if (orders.empty()) throw ConfigError(where, "expected at least one RDP order");
  for (size_t i = 0; i < orders.size(); ++i) {
    // Written so that NaN fails too.
    if (!(orders[i] > 1.0)) {
      throw ConfigError(where, "RDP order #" + std::to_string(i) + " is " + Str(orders[i]) +
                                   "; expected a number > 1 (or infinity)");
    }
  }
}

RdpCurve::RdpCurve(std::vector<double> orders, std::vector<double> values)
    : orders_(std::move(orders)), values_(std::move(values)) {
  if (orders_.size() != values_.size()) {
    throw ConfigError("RDP curve", std::to_string(orders_.size()) + " orders but " +
                                       std::to_string(values_.size()) +
                                       " values; expected one value per order");
  }
  if (orders_.empty()) return;
  ValidateOrders(orders_, "RDP curve");
  for (size_t i = 0; i < values_.size(); ++i) {
    if (!(values_[i] >= 0.0)) {
      throw ConfigError("RDP curve", "value at order " + Str(orders_[i]) + " is " +
                                         Str(values_[i]) + "; expected a number >= 0");
    }
  }
}

RdpCurve RdpCurve::Zero(std::vector<double> orders) {
  std::vector<double> zeros(orders.size(), 0.0);
  return RdpCurve(std::move(orders), std::move(zeros));
}

RdpCurve RdpCurve::Compose(const RdpCurve& other) const {
  RdpCurve sum = *this;
  sum += other;
  return sum;
}

RdpCurve& RdpCurve::operator+=(const RdpCurve& other) {
  if (orders_ != other.orders_) {
    throw ConfigError("RDP composition", "the curves were computed at different orders (" +
                                             std::to_string(orders_.size()) + " vs " +
                                             std::to_string(other.orders_.size()) +
                                             " orders); expected the same order list");
  }
  for (size_t i = 0; i < values_.size(); ++i) values_[i] += other.values_[i];
  return *this;
}

RdpCurve RdpCurve::Repeated(int64_t times) const {
  if (times < 0) {
    throw ConfigError("RDP composition",
                      "repeat count is " + std::to_string(times) + "; expected >= 0");
  }
  RdpCurve out = *this;
  // Zero repetitions must give 0 even where a value is infinite (inf * 0 is NaN).
  for (double& v : out.values_) v = times == 0 ? 0.0 : v * static_cast<double>(times);
  return out;
}

}  // namespace fedcrm::privacy
