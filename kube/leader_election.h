// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it, so that of several operator replicas one
// reconciles at a time.
//
// A candidate takes the Lease when it doesn't exist, when its holderIdentity
// is empty (released), or when the record hasn't changed for a lease duration
// as measured by OUR clock from the moment we saw it change: remote clocks
// and the renewTime written in the Lease are never trusted. Writes are
// conditional on the resourceVersion read, so when two candidates race only
// one wins (409 for the other). The leader renews every retry period and
// stops leading when no renewal succeeded within the renew deadline, which is
// shorter than the lease duration so that it stops before anyone else may
// take over. On shutdown the leader clears holderIdentity so that a successor
// takes over at its next retry instead of waiting for expiry.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>

#include "kube/client.h"
#include "kube/clock.h"

namespace fedcrm::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per replica, e.g. the pod name
  Clock::Duration lease_duration = std::chrono::seconds(15);
  Clock::Duration renew_deadline = std::chrono::seconds(10);
  Clock::Duration retry_period = std::chrono::seconds(2);
  // Clear holderIdentity when Run stops on request while leading.
  bool release_on_cancel = true;
  // Drives every decision (expiry, deadlines, retries); tests pass a FakeClock.
  Clock* clock = &Clock::Real();
  // Only for the acquireTime/renewTime written into the Lease; when unset,
  // the system clock.
  std::function<std::chrono::system_clock::time_point()> wall_clock;
};

struct LeaderCallbacks {
  // Runs on its own thread once leadership is acquired; the token is stopped
  // when leadership ends (lost or shutting down). Run waits for it to return
  // before releasing the Lease.
  std::function<void(std::stop_token)> on_started_leading;
  // Called once after leading ends (not if leadership was never acquired).
  std::function<void()> on_stopped_leading;
  // Called on the elector's thread whenever the observed holder changes,
  // including to ourselves.
  std::function<void(const std::string& identity)> on_new_leader;
};

class LeaderElector {
 public:
  // Throws ConfigError for an empty lease name or identity, or durations not
  // ordered lease_duration > renew_deadline > retry_period > 0.
  LeaderElector(Client& client, LeaderElectionConfig config, LeaderCallbacks callbacks);
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Campaigns until leading, leads until `stop` is requested or leadership is
  // lost, then returns (like client-go, it doesn't campaign again: the
  // process is expected to exit or call Run anew). API errors are retried.
  void Run(const std::stop_token& stop);

  // True while Run holds leadership.
  bool IsLeader() const;
  // The holderIdentity last observed in the Lease ("" if none).
  std::string CurrentLeader() const;

  // One attempt to acquire or renew the Lease; true when we hold it
  // afterwards. Run calls this; it is public so a test can interleave two
  // candidates' attempts exactly.
  bool TryAcquireOrRenew();

 private:
  // Sleeps `d` on the configured clock; false when `stop` was requested.
  bool SleepFor(Clock::Duration d, const std::stop_token& stop);
  // Clears holderIdentity if we still hold the Lease.
  void Release();
  void ReportTransition();
  nlohmann::json Record(const nlohmann::json& old_spec, bool takeover) const;
  std::string WallNow() const;
  // Remembers `spec` as the last seen record; restarts the expiry timer when
  // it differs from the previous one.
  void Observe(const nlohmann::json& spec, Clock::TimePoint now);

  Client& client_;
  const LeaderElectionConfig config_;
  const LeaderCallbacks callbacks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  nlohmann::json observed_spec_;
  Clock::TimePoint observed_time_{};
  bool leading_ = false;
  std::string reported_leader_;
};

// A metav1.MicroTime: RFC 3339 in UTC with microseconds,
// "2026-11-30T01:02:03.000000Z".
std::string FormatMicroTime(std::chrono::system_clock::time_point t);

}  // namespace fedcrm::kube
