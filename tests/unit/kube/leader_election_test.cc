#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <regex>
#include <thread>

#include "core/common/error.h"
#include "kube/api_error.h"
#include "kube/fake_client.h"
#include "kube/resources.h"

namespace fedcrm::kube {
namespace {

using std::chrono::seconds;

const ObjectKey kLeaseKey{"fedcrm-system", "fedcrm-operator"};

// Polls a condition that another thread makes true; scheduling only, the
// generous bound just turns a hang into a failure.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 20000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(250));
  }
  return pred();
}

int CountGets(const FakeClient& client) {
  int gets = 0;
  for (const auto& action : client.Actions()) {
    if (action.verb == FakeClient::Verb::kGet) ++gets;
  }
  return gets;
}

// One candidate running Run() on its own thread, recording its callbacks.
class Candidate {
 public:
  Candidate(Client& client, FakeClock& clock, const std::string& identity,
            bool release_on_cancel = true) {
    LeaderElectionConfig config;
    config.lease_namespace = kLeaseKey.namespace_;
    config.lease_name = kLeaseKey.name;
    config.identity = identity;
    config.release_on_cancel = release_on_cancel;
    config.clock = &clock;
    // Wall time follows the fake clock so the Lease's times are predictable.
    const Clock::TimePoint origin = clock.Now();
    config.wall_clock = [&clock, origin] {
      return std::chrono::system_clock::time_point(seconds(1'900'000'000)) +
             std::chrono::duration_cast<std::chrono::system_clock::duration>(clock.Now() - origin);
    };
    LeaderCallbacks callbacks;
    callbacks.on_started_leading = [this](std::stop_token token) {
      ++started;
      while (!token.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      work_saw_stop = true;
    };
    callbacks.on_stopped_leading = [this] { ++stopped; };
    callbacks.on_new_leader = [this](const std::string& id) {
      std::lock_guard<std::mutex> guard(mu);
      new_leaders.push_back(id);
    };
    elector = std::make_unique<LeaderElector>(client, config, callbacks);
  }
  ~Candidate() { Stop(); }

  void Start() {
    thread = std::jthread([this](std::stop_token stop) {
      elector->Run(stop);
      finished = true;
    });
  }
  void Stop() {
    if (thread.joinable()) {
      thread.request_stop();
      thread.join();
    }
  }
  std::vector<std::string> NewLeaders() {
    std::lock_guard<std::mutex> guard(mu);
    return new_leaders;
  }

  std::unique_ptr<LeaderElector> elector;
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  std::atomic<bool> work_saw_stop{false};
  std::atomic<bool> finished{false};
  std::mutex mu;
  std::vector<std::string> new_leaders;
  std::jthread thread;
};

class LeaderElectionTest : public ::testing::Test {
 protected:
  Json Lease() { return client_.Get(resources::kLeases, kLeaseKey); }
  std::string Holder() { return Lease()["spec"].value("holderIdentity", ""); }

  // Moves time by one retry period and waits until each of the `sleepers`
  // candidates has made its attempt (one Get each) and gone back to sleep.
  void Step(int sleepers) {
    ASSERT_TRUE(Eventually([&] { return clock_.NumWaiters() == sleepers; }));
    const int gets = CountGets(client_);
    clock_.Advance(seconds(2));
    ASSERT_TRUE(Eventually(
        [&] { return CountGets(client_) >= gets + sleepers && clock_.NumWaiters() == sleepers; }));
  }

  FakeClient client_;
  FakeClock clock_;
};

TEST(MicroTimeTest, FormatsMicroseconds) {
  auto t =
      std::chrono::system_clock::time_point(seconds(1'796'000'523)) + std::chrono::microseconds(42);
  EXPECT_EQ(FormatMicroTime(t), "2026-11-30T01:02:03.000042Z");
}

TEST(LeaderElectorConfigTest, RejectsBadConfig) {
  FakeClient client;
  LeaderElectionConfig config;
  config.lease_name = "l";
  config.identity = "a";
  EXPECT_NO_THROW(LeaderElector(client, config, {}));
  LeaderElectionConfig no_identity = config;
  no_identity.identity.clear();
  EXPECT_THROW(LeaderElector(client, no_identity, {}), ConfigError);
  LeaderElectionConfig short_lease = config;
  short_lease.lease_duration = seconds(10);
  EXPECT_THROW(LeaderElector(client, short_lease, {}), ConfigError);
  LeaderElectionConfig slow_retry = config;
  slow_retry.retry_period = seconds(10);
  EXPECT_THROW(LeaderElector(client, slow_retry, {}), ConfigError);
}

TEST_F(LeaderElectionTest, AcquiresByCreatingTheLease) {
  Candidate a(client_, clock_, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.elector->IsLeader() && a.started == 1; }));
  Json lease = Lease();
  EXPECT_EQ(lease["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(lease["kind"], "Lease");
  EXPECT_EQ(lease["spec"]["holderIdentity"], "a");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(lease["spec"]["acquireTime"], "2030-03-17T17:46:40.000000Z");
  EXPECT_EQ(lease["spec"]["renewTime"], "2030-03-17T17:46:40.000000Z");
  EXPECT_EQ(a.elector->CurrentLeader(), "a");
  EXPECT_EQ(a.NewLeaders(), std::vector<std::string>{"a"});
}

TEST_F(LeaderElectionTest, RenewsEveryRetryPeriod) {
  Candidate a(client_, clock_, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.elector->IsLeader(); }));
  Step(1);
  Step(1);
  Json lease = Lease();
  EXPECT_EQ(lease["spec"]["renewTime"], "2030-03-17T17:46:44.000000Z");
  EXPECT_EQ(lease["spec"]["acquireTime"], "2030-03-17T17:46:40.000000Z");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 0);
  EXPECT_TRUE(a.elector->IsLeader());
  EXPECT_TRUE(Eventually([&] { return a.started == 1; }));
}

TEST_F(LeaderElectionTest, SecondCandidateTakesOverOnlyAfterExpiry) {
  Candidate a(client_, clock_, "a", /*release_on_cancel=*/false);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.elector->IsLeader(); }));
  Candidate b(client_, clock_, "b");
  b.Start();
  for (int i = 0; i < 3; ++i) Step(2);  // a renews, b keeps waiting
  EXPECT_TRUE(a.elector->IsLeader());
  EXPECT_FALSE(b.elector->IsLeader());
  EXPECT_EQ(b.elector->CurrentLeader(), "a");
  EXPECT_EQ(b.NewLeaders(), std::vector<std::string>{"a"});

  a.Stop();  // crashes, in effect: no release
  EXPECT_EQ(a.stopped, 1);
  EXPECT_TRUE(a.work_saw_stop);
  EXPECT_EQ(Holder(), "a");
  // a last renewed 6 s in. b saw that record either in the same step or in
  // the next one, and must wait 15 s from when it saw it: it may take over
  // at 22 s or 24 s, never before 21 s.
  int steps = 0;
  while (!b.elector->IsLeader() && steps < 12) {
    Step(1);
    ++steps;
    if (steps <= 7) {
      EXPECT_FALSE(b.elector->IsLeader()) << "at " << 6 + 2 * steps << " s";
    }
  }
  EXPECT_TRUE(steps == 8 || steps == 9) << "took over at " << 6 + 2 * steps << " s";
  Json lease = Lease();
  EXPECT_EQ(lease["spec"]["holderIdentity"], "b");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(lease["spec"]["acquireTime"], lease["spec"]["renewTime"]);
  EXPECT_EQ(b.NewLeaders(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(LeaderElectionTest, ReleaseOnShutdownHandsOverAtOnce) {
  Candidate a(client_, clock_, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.elector->IsLeader(); }));
  Candidate b(client_, clock_, "b");
  b.Start();
  Step(2);
  a.Stop();
  EXPECT_EQ(Holder(), "");
  EXPECT_EQ(a.stopped, 1);
  EXPECT_FALSE(a.elector->IsLeader());
  Step(1);  // b's next retry, 2 s later: no waiting for expiry
  EXPECT_TRUE(b.elector->IsLeader());
  EXPECT_EQ(Holder(), "b");
  EXPECT_EQ(Lease()["spec"]["leaseTransitions"], 1);
}

TEST_F(LeaderElectionTest, StopsLeadingWhenRenewalFailsPastTheDeadline) {
  Candidate a(client_, clock_, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.elector->IsLeader(); }));
  client_.InjectError(FakeClient::Verb::kGet, resources::kLeases,
                      ApiError(500, "InternalError", "etcd unavailable", "get"), 1000);
  for (int i = 0; i < 4; ++i) {
    Step(1);
    EXPECT_TRUE(a.elector->IsLeader()) << "only " << 2 * (i + 1) << " s without renewal";
  }
  clock_.Advance(seconds(2));  // 10 s without a renewal: the deadline
  ASSERT_TRUE(Eventually([&] { return a.finished.load(); }));
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_TRUE(a.work_saw_stop);
  EXPECT_EQ(a.stopped, 1);
}

TEST_F(LeaderElectionTest, StopsAtOnceWhenAnotherHolderIsSeen) {
  Candidate a(client_, clock_, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.elector->IsLeader(); }));
  // Someone overwrote the lease (e.g. after a long pause of ours).
  Json lease = Lease();
  lease["spec"]["holderIdentity"] = "intruder";
  client_.Update(resources::kLeases, lease);
  ASSERT_TRUE(Eventually([&] { return clock_.NumWaiters() == 1; }));
  clock_.Advance(seconds(2));
  ASSERT_TRUE(Eventually([&] { return a.finished.load(); }));
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_EQ(Holder(), "intruder") << "a lost leadership; it must not release another's lease";
}

// Forwards to a FakeClient and runs a hook just before the first write, so a
// test can let a rival write in between our read and our write.
class InterleavingClient : public Client {
 public:
  explicit InterleavingClient(FakeClient& inner) : inner_(inner) {}
  std::function<void()> before_write;

  Json Get(const GroupVersionResource& gvr, const ObjectKey& key) override {
    return inner_.Get(gvr, key);
  }
  ListResult List(const GroupVersionResource& gvr, std::string_view ns,
                  const ListOptions& options) override {
    return inner_.List(gvr, ns, options);
  }
  Json Create(const GroupVersionResource& gvr, const Json& object) override {
    Hook();
    return inner_.Create(gvr, object);
  }
  Json Update(const GroupVersionResource& gvr, const Json& object) override {
    Hook();
    return inner_.Update(gvr, object);
  }
  Json UpdateStatus(const GroupVersionResource& gvr, const Json& object) override {
    return inner_.UpdateStatus(gvr, object);
  }
  Json Patch(const GroupVersionResource& gvr, const ObjectKey& key, PatchType type,
             const Json& patch, const PatchOptions& options,
             std::string_view subresource) override {
    return inner_.Patch(gvr, key, type, patch, options, subresource);
  }
  void Delete(const GroupVersionResource& gvr, const ObjectKey& key,
              const DeleteOptions& options) override {
    inner_.Delete(gvr, key, options);
  }
  void Watch(const GroupVersionResource& gvr, std::string_view ns, const WatchOptions& options,
             const std::function<bool(const WatchEvent&)>& on_event) override {
    inner_.Watch(gvr, ns, options, on_event);
  }

 private:
  void Hook() {
    if (before_write) std::exchange(before_write, nullptr)();
  }
  FakeClient& inner_;
};

LeaderElectionConfig PlainConfig(FakeClock& clock, const std::string& identity) {
  LeaderElectionConfig config;
  config.lease_namespace = kLeaseKey.namespace_;
  config.lease_name = kLeaseKey.name;
  config.identity = identity;
  config.clock = &clock;
  return config;
}

TEST_F(LeaderElectionTest, ConcurrentCreateHasOneWinner) {
  InterleavingClient slow(client_);
  LeaderElector a(slow, PlainConfig(clock_, "a"), {});
  LeaderElector b(client_, PlainConfig(clock_, "b"), {});
  bool b_won = false;
  slow.before_write = [&] { b_won = b.TryAcquireOrRenew(); };
  EXPECT_FALSE(a.TryAcquireOrRenew());  // its Create meets AlreadyExists
  EXPECT_TRUE(b_won);
  EXPECT_EQ(Holder(), "b");
  EXPECT_FALSE(a.TryAcquireOrRenew()) << "b's lease hasn't expired";
}

TEST_F(LeaderElectionTest, ConcurrentTakeoverHasOneWinner) {
  client_.Create(resources::kLeases,
                 {{"metadata", {{"name", kLeaseKey.name}, {"namespace", kLeaseKey.namespace_}}},
                  {"spec", {{"holderIdentity", ""}, {"leaseTransitions", 4}}}});
  InterleavingClient slow(client_);
  LeaderElector a(slow, PlainConfig(clock_, "a"), {});
  LeaderElector b(client_, PlainConfig(clock_, "b"), {});
  bool b_won = false;
  slow.before_write = [&] { b_won = b.TryAcquireOrRenew(); };
  EXPECT_FALSE(a.TryAcquireOrRenew());  // its Update carries a stale resourceVersion
  EXPECT_TRUE(b_won);
  EXPECT_EQ(Holder(), "b");
  EXPECT_EQ(Lease()["spec"]["leaseTransitions"], 5);
}

TEST_F(LeaderElectionTest, RacingCandidatesElectExactlyOne) {
  std::vector<std::unique_ptr<Candidate>> candidates;
  for (const char* id : {"a", "b", "c"}) {
    candidates.push_back(std::make_unique<Candidate>(client_, clock_, id));
  }
  for (auto& c : candidates) c->Start();
  auto leaders = [&] {
    int n = 0;
    for (auto& c : candidates) n += c->elector->IsLeader() ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(Eventually([&] { return leaders() == 1; }));
  for (int i = 0; i < 3; ++i) {
    Step(3);
    EXPECT_EQ(leaders(), 1);
  }
  auto started = [&] {
    int n = 0;
    for (auto& c : candidates) n += c->started;
    return n;
  };
  EXPECT_TRUE(Eventually([&] { return started() == 1; }));
}

}  // namespace
}  // namespace fedcrm::kube
