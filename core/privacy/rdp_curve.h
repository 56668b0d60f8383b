// A Rényi-DP curve: the RDP ε(α) of a mechanism at a fixed list of orders α.
//
// RDP composes by addition at each order, so a curve is the unit of privacy
// accounting: a round's charge, a silo's spent budget. Two curves can only be
// composed when they were computed at the same orders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fedcrm::privacy {

class RdpCurve {
 public:
  // The empty curve: no orders. Composes only with another empty curve.
  RdpCurve() = default;

  // Throws fedcrm::ConfigError unless orders and values have the same size,
  // every order is > 1 (+infinity allowed) and every value is >= 0 (+infinity
  // allowed, meaning no guarantee at that order).
  RdpCurve(std::vector<double> orders, std::vector<double> values);

  // The curve of a mechanism that reveals nothing: 0 at every order.
  static RdpCurve Zero(std::vector<double> orders);

  const std::vector<double>& orders() const { return orders_; }
  const std::vector<double>& values() const { return values_; }
  std::size_t size() const { return orders_.size(); }
  bool empty() const { return orders_.empty(); }

  // The curve of running both mechanisms (adaptive composition). Throws
  // fedcrm::ConfigError when the orders differ.
  RdpCurve Compose(const RdpCurve& other) const;

  // The curve of running this mechanism `times` times; 0 gives Zero().
  // Throws fedcrm::ConfigError when times < 0.
  RdpCurve Repeated(int64_t times) const;

  RdpCurve& operator+=(const RdpCurve& other);
  friend RdpCurve operator+(RdpCurve a, const RdpCurve& b) { return a += b; }
  friend RdpCurve operator*(const RdpCurve& curve, int64_t times) { return curve.Repeated(times); }
  friend RdpCurve operator*(int64_t times, const RdpCurve& curve) { return curve.Repeated(times); }

  bool operator==(const RdpCurve& other) const = default;

 private:
  std::vector<double> orders_;
  std::vector<double> values_;
};

// Throws fedcrm::ConfigError unless `orders` is non-empty and every order is
// > 1 or +infinity. `where` names the input in the message.
void ValidateOrders(const std::vector<double>& orders, const char* where);

}  // namespace fedcrm::privacy
