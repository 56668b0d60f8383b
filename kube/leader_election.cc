#include "kube/leader_election.h"

#include <cstdio>
#include <thread>
#include <utility>

#include "core/common/error.h"
#include "kube/api_error.h"
#include "kube/conditions.h"
#include "kube/resources.h"

namespace fedcrm::kube {
namespace {

using Json = nlohmann::json;

std::string Holder(const Json& spec) {
  auto it = spec.find("holderIdentity");
  return it != spec.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t Transitions(const Json& spec) {
  auto it = spec.find("leaseTransitions");
  return it != spec.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

void Validate(const LeaderElectionConfig& config) {
  const std::string where = "leader election";
  if (config.lease_name.empty()) throw ConfigError(where, "the lease name must not be empty");
  if (config.identity.empty()) throw ConfigError(where, "the identity must not be empty");
  if (config.clock == nullptr) throw ConfigError(where, "the clock must be set");
  if (config.retry_period <= Clock::Duration::zero()) {
    throw ConfigError(where, "the retry period must be positive");
  }
  if (config.renew_deadline <= config.retry_period) {
    throw ConfigError(where, "the renew deadline must be longer than the retry period");
  }
  if (config.lease_duration <= config.renew_deadline) {
    throw ConfigError(where, "the lease duration must be longer than the renew deadline");
  }
}

}  // namespace

std::string FormatMicroTime(std::chrono::system_clock::time_point t) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          t - std::chrono::floor<std::chrono::seconds>(t))
                          .count();
  char fraction[24];
  std::snprintf(fraction, sizeof(fraction), ".%06lld", static_cast<long long>(micros));
  std::string text = FormatRfc3339(t);  // "...:SSZ"
  text.insert(text.size() - 1, fraction);
  return text;
}

LeaderElector::LeaderElector(Client& client, LeaderElectionConfig config, LeaderCallbacks callbacks)
    : client_(client), config_(std::move(config)), callbacks_(std::move(callbacks)) {
  Validate(config_);
}

bool LeaderElector::IsLeader() const {
  std::lock_guard<std::mutex> guard(mu_);
  return leading_;
}

std::string LeaderElector::CurrentLeader() const {
  std::lock_guard<std::mutex> guard(mu_);
  return Holder(observed_spec_);
}

std::string LeaderElector::WallNow() const {
  return FormatMicroTime(config_.wall_clock ? config_.wall_clock()
                                            : std::chrono::system_clock::now());
}

Json LeaderElector::Record(const Json& old_spec, bool takeover) const {
  const std::string now = WallNow();
  Json spec = {
      {"holderIdentity", config_.identity},
      {"leaseDurationSeconds",
       std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count()},
      {"acquireTime", takeover ? now : old_spec.value("acquireTime", now)},
      {"renewTime", now},
      {"leaseTransitions", Transitions(old_spec) + (takeover ? 1 : 0)},
  };
  return spec;
}

void LeaderElector::Observe(const Json& spec, Clock::TimePoint now) {
  std::lock_guard<std::mutex> guard(mu_);
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_time_ = now;
  }
}

bool LeaderElector::TryAcquireOrRenew() {
  const ObjectKey key{config_.lease_namespace, config_.lease_name};
  const Clock::TimePoint now = config_.clock->Now();
  Json lease;
  try {
    lease = client_.Get(resources::kLeases, key);
  } catch (const ApiError& e) {
    if (!e.IsNotFound()) return false;
    Json created = {{"apiVersion", "coordination.k8s.io/v1"},
                    {"kind", "Lease"},
                    {"metadata", {{"name", key.name}}},
                    {"spec", Record(Json::object(), false)}};
    if (!key.namespace_.empty()) created["metadata"]["namespace"] = key.namespace_;
    try {
      created = client_.Create(resources::kLeases, created);
    } catch (const ApiError&) {
      return false;  // another candidate created it first
    } catch (const TransportError&) {
      return false;
    }
    Observe(created.value("spec", Json::object()), now);
    return true;
  } catch (const TransportError&) {
    return false;
  }

  const Json old_spec = lease.value("spec", Json::object());
  Observe(old_spec, now);
  const std::string holder = Holder(old_spec);
  const bool ours = holder == config_.identity;
  if (!holder.empty() && !ours) {
    std::lock_guard<std::mutex> guard(mu_);
    if (observed_time_ + config_.lease_duration > now) return false;  // not expired yet
  }
  lease["spec"] = Record(old_spec, !ours);
  try {
    lease = client_.Update(resources::kLeases, lease);  // conditional on resourceVersion
  } catch (const ApiError&) {
    return false;  // 409: someone else wrote first
  } catch (const TransportError&) {
    return false;
  }
  Observe(lease.value("spec", Json::object()), now);
  return true;
}

void LeaderElector::ReportTransition() {
  std::string leader;
  {
    std::lock_guard<std::mutex> guard(mu_);
    leader = Holder(observed_spec_);
    if (leader == reported_leader_) return;
    reported_leader_ = leader;
  }
  if (!leader.empty() && callbacks_.on_new_leader) callbacks_.on_new_leader(leader);
}

bool LeaderElector::SleepFor(Clock::Duration d, const std::stop_token& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  const Clock::TimePoint deadline = config_.clock->Now() + d;
  while (!stop.stop_requested() && config_.clock->Now() < deadline) {
    config_.clock->WaitUntil(cv_, lock, deadline);
  }
  return !stop.stop_requested();
}

void LeaderElector::Release() {
  const ObjectKey key{config_.lease_namespace, config_.lease_name};
  try {
    Json lease = client_.Get(resources::kLeases, key);
    Json spec = lease.value("spec", Json::object());
    if (Holder(spec) != config_.identity) return;  // not ours any more
    const std::string now = WallNow();
    // As client-go: an empty holder and a 1 s lease, so that successors
    // don't wait even if they judge expiry by the duration.
    lease["spec"] = {{"holderIdentity", ""},
                     {"leaseDurationSeconds", 1},
                     {"acquireTime", now},
                     {"renewTime", now},
                     {"leaseTransitions", Transitions(spec)}};
    lease = client_.Update(resources::kLeases, lease);
    Observe(lease.value("spec", Json::object()), config_.clock->Now());
  } catch (const ApiError&) {
    // Best effort: the lease then simply expires.
  } catch (const TransportError&) {
  }
}

void LeaderElector::Run(const std::stop_token& stop) {
  // Wakes SleepFor; takes mu_ so the notification can't fall between a
  // sleeper's check and its wait.
  std::stop_callback wake(stop, [this] {
    std::lock_guard<std::mutex> guard(mu_);
    cv_.notify_all();
  });

  while (true) {
    if (stop.stop_requested()) return;
    const bool acquired = TryAcquireOrRenew();
    ReportTransition();
    if (acquired) break;
    if (!SleepFor(config_.retry_period, stop)) return;
  }

  {
    std::lock_guard<std::mutex> guard(mu_);
    leading_ = true;
  }
  std::stop_source leading;
  std::thread worker([this, token = leading.get_token()] {
    if (callbacks_.on_started_leading) callbacks_.on_started_leading(token);
  });

  Clock::TimePoint last_renew = config_.clock->Now();
  while (SleepFor(config_.retry_period, stop)) {
    const bool renewed = TryAcquireOrRenew();
    ReportTransition();
    const Clock::TimePoint now = config_.clock->Now();
    if (renewed) {
      last_renew = now;
      continue;
    }
    const std::string holder = CurrentLeader();
    // Someone else holds it: we lost it, no point retrying until the deadline.
    if (!holder.empty() && holder != config_.identity) break;
    if (now - last_renew >= config_.renew_deadline) break;
  }

  {
    std::lock_guard<std::mutex> guard(mu_);
    leading_ = false;
  }
  leading.request_stop();
  worker.join();
  if (stop.stop_requested() && config_.release_on_cancel) Release();
  if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

}  // namespace fedcrm::kube
