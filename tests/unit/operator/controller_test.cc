// The controller loop: keys reach the reconciler once per change, a failure
// is retried with backoff, a requested requeue happens, and the metrics say so.
#include "operator/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace fedcrm::op {
namespace {

using namespace std::chrono_literals;

class ScriptedReconciler : public Reconciler {
 public:
  ReconcileResult Reconcile(const kube::ObjectKey& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    const int call = ++calls_[key.ToString()];
    if (key.name == "flaky" && call <= 2) throw std::runtime_error("transient");
    if (key.name == "poll" && call < 3) return {10ms};
    return {};
  }
  int Calls(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[key];
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 400; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

TEST(ControllerTest, RetriesFailuresRequeuesOnRequestAndCountsBoth) {
  ScriptedReconciler reconciler;
  OperatorMetrics metrics;
  Controller controller("test", reconciler, &metrics, 2);
  controller.Start();
  controller.Enqueue("ns/flaky");
  controller.Enqueue("ns/poll");
  controller.Enqueue("ns/once");
  EXPECT_TRUE(Eventually([&] { return reconciler.Calls("ns/flaky") == 3; }));
  EXPECT_TRUE(Eventually([&] { return reconciler.Calls("ns/poll") == 3; }));
  EXPECT_TRUE(Eventually([&] { return reconciler.Calls("ns/once") == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(reconciler.Calls("ns/flaky"), 3);  // stops once it succeeds
  EXPECT_EQ(reconciler.Calls("ns/once"), 1);
  controller.Stop();

  const std::string page = metrics.Render();
  EXPECT_NE(page.find("fedcrm_controller_runtime_reconcile_errors_total{controller=\"test\"} 2"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("fedcrm_controller_runtime_reconcile_total{controller=\"test\",result="
                      "\"requeue_after\"} 2"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("fedcrm_workqueue_retries_total{name=\"test\"} 2"), std::string::npos)
      << page;
}

TEST(ControllerTest, ItsSeriesExistAtZeroBeforeAnythingHappens) {
  ScriptedReconciler reconciler;
  OperatorMetrics metrics;
  Controller controller("idle", reconciler, &metrics, 1);
  const std::string page = metrics.Render();
  for (const char* series :
       {"fedcrm_controller_runtime_reconcile_errors_total{controller=\"idle\"} 0",
        "fedcrm_controller_runtime_reconcile_total{controller=\"idle\",result=\"error\"} 0",
        "fedcrm_workqueue_retries_total{name=\"idle\"} 0",
        "fedcrm_workqueue_depth{name=\"idle\"} 0"}) {
    EXPECT_NE(page.find(series), std::string::npos) << series << "\n" << page;
  }
}

TEST(ControllerTest, AMalformedKeyIsAnErrorNotACrash) {
  ScriptedReconciler reconciler;
  Controller controller("bad", reconciler, nullptr, 1);
  controller.Start();
  controller.Enqueue("a/b/c");
  controller.Enqueue("ns/after");
  EXPECT_TRUE(Eventually([&] { return reconciler.Calls("ns/after") == 1; }));
  controller.Stop();
}

}  // namespace
}  // namespace fedcrm::op
