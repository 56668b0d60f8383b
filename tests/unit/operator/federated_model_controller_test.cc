// The FederatedModel reconciler against an in-memory API server: rounds are
// created one after another from the template, each from the latest model;
// the line stops on its round count, failures, metric and epsilon cap; the
// promoted round's digest is shown; repeats create no twin round; with
// spec.schedule, rounds wait for their cron tick on a fake clock.
#include "operator/federated_model_controller.h"

#include <gtest/gtest.h>

#include <string>

#include "core/common/yaml_json.h"
#include "kube/api_error.h"
#include "kube/conditions.h"
#include "kube/fake_client.h"
#include "operator/fedcrm_resources.h"
#include "operator/federated_round.h"
#include "operator/privacy_ledger.h"

namespace fedcrm::op {
namespace {

using kube::FakeClient;
using kube::Json;

constexpr char kNamespace[] = "fedcrm";
constexpr char kModel[] = "churn-global";

std::string DigestOf(char c) { return "sha256:" + std::string(64, c); }

std::string RoundName(int n) { return ModelRoundName(kModel, n); }

// "2026-03-01T10:07:00Z" as a time point.
std::chrono::system_clock::time_point At(const std::string& text) {
  const auto time = kube::ParseRfc3339(text);
  EXPECT_TRUE(time.has_value()) << text;
  return time.value_or(std::chrono::system_clock::time_point{});
}

class FederatedModelControllerTest : public ::testing::Test {
 protected:
  FederatedModelControllerTest() {
    hub_.RegisterStatusSubresource(kRegionSilos);
    hub_.RegisterStatusSubresource(kFederatedRounds);
    hub_.RegisterStatusSubresource(kFederatedModels);
    hub_.SetNow([this] { return now_; });
    ModelControllerOptions options;
    options.now = [this] { return now_; };
    options.poll_interval = std::chrono::seconds(30);
    options.resync_period = std::chrono::minutes(5);
    reconciler_ = std::make_unique<FederatedModelReconciler>(hub_, nullptr, options);
  }

  // The example line without stop conditions beyond those a test sets.
  Json ModelObject() {
    Json model = ReadYamlFile("examples/kubernetes/federatedmodel-churn.yaml");
    model["spec"].erase("stopWhen");
    model["spec"].erase("promotedRound");
    model["spec"].erase("rounds");
    return model;
  }
  void AddModel(const Json& model) { hub_.AddObject(kFederatedModels, model); }

  ReconcileResult Reconcile() { return reconciler_->Reconcile({kNamespace, kModel}); }
  Json Model() { return hub_.Get(kFederatedModels, {kNamespace, kModel}); }
  Json Status() { return Model()["status"]; }
  Json Round(int n) { return hub_.Get(kFederatedRounds, {kNamespace, RoundName(n)}); }
  size_t RoundCount() { return hub_.List(kFederatedRounds, kNamespace).items.size(); }
  std::string ConditionReason(const char* type) {
    const Json status = Status();
    const Json* c = kube::FindCondition(status["conditions"], type);
    return c ? c->value("status", "") + "/" + c->value("reason", "") : "<absent>";
  }

  // Finishes round n as the round controller would.
  void Finish(int n, const std::string& phase, char digest = 'a',
              std::optional<double> roc_auc = std::nullopt) {
    Json round = Round(n);
    round["status"]["phase"] = phase;
    round["status"]["completionTime"] = "2026-12-01T00:00:0" + std::to_string(n % 10) + "Z";
    if (phase == "Succeeded") {
      round["status"]["model"]["digest"] = DigestOf(digest);
      if (roc_auc)
        round["status"]["model"]["primaryMetric"] = {{"name", "roc_auc"}, {"value", *roc_auc}};
    }
    hub_.AddObject(kFederatedRounds, round);
  }
  void SetRunning(int n) {
    Json round = Round(n);
    round["status"]["phase"] = "Running";
    hub_.AddObject(kFederatedRounds, round);
  }
  int Creates() {
    int n = 0;
    for (const auto& a : hub_.Actions()) {
      n += a.verb == FakeClient::Verb::kCreate && a.gvr.resource == "federatedrounds";
    }
    return n;
  }

  // Finishes round n at `when` (RFC 3339).
  void FinishAt(int n, const std::string& when) {
    Json round = Round(n);
    round["status"]["phase"] = "Succeeded";
    round["status"]["completionTime"] = when;
    round["status"]["model"]["digest"] = DigestOf('a');
    hub_.AddObject(kFederatedRounds, round);
  }
  Json ScheduledModel(const std::string& schedule) {
    Json model = ModelObject();
    model["spec"]["schedule"] = schedule;
    return model;
  }
  std::string ConditionMessage(const char* type) {
    const Json status = Status();
    const Json* c = kube::FindCondition(status["conditions"], type);
    return c ? c->value("message", "") : "<absent>";
  }

  std::chrono::system_clock::time_point now_ = At("2026-03-01T10:07:00Z");
  FakeClient hub_;
  std::unique_ptr<FederatedModelReconciler> reconciler_;
};

TEST_F(FederatedModelControllerTest, CreatesTheFirstRoundFromTheTemplate) {
  AddModel(ModelObject());
  const ReconcileResult result = Reconcile();
  ASSERT_TRUE(result.requeue_after.has_value());
  const Json round = Round(1);
  const Json model = Model();
  EXPECT_EQ(round["metadata"]["labels"]["fedcrm.io/model"], kModel);
  EXPECT_EQ(round["metadata"]["labels"]["app.kubernetes.io/part-of"], kModel);
  EXPECT_EQ(round["metadata"]["ownerReferences"][0]["kind"], "FederatedModel");
  EXPECT_EQ(round["metadata"]["ownerReferences"][0]["uid"], model["metadata"]["uid"]);
  EXPECT_EQ(round["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(round["spec"]["modelLine"], kModel);
  EXPECT_FALSE(round["spec"].contains("baseModel"));
  EXPECT_EQ(round["spec"]["task"], "churn");
  EXPECT_NO_THROW(ParseFederatedRound(round));
  EXPECT_EQ(model["status"]["phase"], "Training");
  EXPECT_EQ(model["status"]["activeRound"], RoundName(1));
  EXPECT_EQ(model["status"]["roundsSucceeded"], 0);
  EXPECT_EQ(model["status"]["observedGeneration"], model["metadata"]["generation"]);
}

TEST_F(FederatedModelControllerTest, TheFirstRoundKeepsTheTemplatesBaseDigest) {
  Json model = ModelObject();
  model["spec"]["roundTemplate"]["spec"]["baseModel"] = {{"digest", DigestOf('b')}};
  AddModel(model);
  Reconcile();
  EXPECT_EQ(Round(1)["spec"]["baseModel"], Json({{"digest", DigestOf('b')}}));
  Finish(1, "Succeeded");
  Reconcile();
  EXPECT_EQ(Round(2)["spec"]["baseModel"], Json({{"previousRound", RoundName(1)}}));
}

TEST_F(FederatedModelControllerTest, WaitsWhileTheRoundRunsAndNeverCreatesATwin) {
  AddModel(ModelObject());
  Reconcile();
  SetRunning(1);
  hub_.ClearActions();
  Reconcile();
  Reconcile();
  EXPECT_EQ(Creates(), 0);
  int model_writes = 0;
  for (const auto& a : hub_.Actions()) {
    model_writes += a.verb == FakeClient::Verb::kUpdate && a.gvr.resource == "federatedmodels";
  }
  EXPECT_EQ(model_writes, 0);  // the status already names the running round
  EXPECT_EQ(RoundCount(), 1u);
  EXPECT_EQ(Status()["activeRound"], RoundName(1));
  EXPECT_EQ(Status()["phase"], "Training");
}

TEST_F(FederatedModelControllerTest, ARepeatedCreateIsHarmless) {
  AddModel(ModelObject());
  // The round exists but the list (a cache, say) does not show it yet.
  hub_.InjectError(FakeClient::Verb::kCreate, kFederatedRounds,
                   kube::ApiError(409, "AlreadyExists", "exists", "create"));
  EXPECT_NO_THROW(Reconcile());
  EXPECT_EQ(Status()["activeRound"], RoundName(1));
}

TEST_F(FederatedModelControllerTest, CreatesTheNextRoundFromThePreviousModel) {
  AddModel(ModelObject());
  Reconcile();
  Finish(1, "Succeeded", 'a');
  Reconcile();
  const Json round = Round(2);
  EXPECT_EQ(round["spec"]["baseModel"], Json({{"previousRound", RoundName(1)}}));
  const Json status = Status();
  EXPECT_EQ(status["roundsSucceeded"], 1);
  EXPECT_EQ(status["activeRound"], RoundName(2));
  EXPECT_EQ(status["latestRound"]["name"], RoundName(1));
  EXPECT_EQ(status["latestRound"]["digest"], DigestOf('a'));
  EXPECT_EQ(status["bestRound"]["name"], RoundName(1));  // no metrics: the latest
  EXPECT_FALSE(status["latestRound"].contains("primaryMetric"));
}

TEST_F(FederatedModelControllerTest, StopsAtTheRoundCount) {
  Json model = ModelObject();
  model["spec"]["rounds"] = 2;
  AddModel(model);
  Reconcile();
  Finish(1, "Succeeded", 'a');
  Reconcile();
  Finish(2, "Succeeded", 'b');
  const ReconcileResult result = Reconcile();
  EXPECT_FALSE(result.requeue_after.has_value());
  EXPECT_EQ(RoundCount(), 2u);
  const Json status = Status();
  EXPECT_EQ(status["phase"], "Completed");
  EXPECT_EQ(status["stopReason"], "RoundLimit");
  EXPECT_FALSE(status.contains("activeRound"));
  EXPECT_EQ(status["roundsSucceeded"], 2);
  EXPECT_EQ(status["latestRound"]["digest"], DigestOf('b'));
  EXPECT_EQ(ConditionReason(kConditionCompleted), "True/RoundLimit");
  hub_.ClearActions();
  Reconcile();
  EXPECT_EQ(Creates(), 0);
}

TEST_F(FederatedModelControllerTest, FailsAfterMaxConsecutiveFailures) {
  Json model = ModelObject();
  model["spec"]["maxConsecutiveFailures"] = 2;
  AddModel(model);
  Reconcile();
  Finish(1, "Succeeded", 'a');
  Reconcile();
  Finish(2, "Failed");
  Reconcile();
  // A failed round does not become a base: r3 starts from r1's model.
  EXPECT_EQ(Round(3)["spec"]["baseModel"]["previousRound"], RoundName(1));
  EXPECT_EQ(Status()["consecutiveFailures"], 1);
  Finish(3, "Failed");
  Reconcile();
  EXPECT_EQ(RoundCount(), 3u);
  const Json status = Status();
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_EQ(status["stopReason"], "TooManyFailures");
  EXPECT_EQ(status["roundsFailed"], 2);
  EXPECT_EQ(status["consecutiveFailures"], 2);
  EXPECT_EQ(ConditionReason(kConditionFailed), "True/TooManyFailures");
}

TEST_F(FederatedModelControllerTest, AFailureAfterASuccessStartsTheCountAgain) {
  Json model = ModelObject();
  model["spec"]["maxConsecutiveFailures"] = 2;
  AddModel(model);
  Reconcile();
  Finish(1, "Failed");
  Reconcile();
  Finish(2, "Succeeded");
  Reconcile();
  Finish(3, "Failed");
  Reconcile();
  EXPECT_EQ(Status()["phase"], "Training");
  EXPECT_EQ(Status()["consecutiveFailures"], 1);
  EXPECT_EQ(Round(4)["spec"]["baseModel"]["previousRound"], RoundName(2));
}

TEST_F(FederatedModelControllerTest, StopsWhenTheTargetMetricIsReached) {
  Json model = ModelObject();
  model["spec"]["stopWhen"]["metric"] = {{"name", "roc_auc"}, {"atLeast", 0.83}};
  AddModel(model);
  Reconcile();
  Finish(1, "Succeeded", 'a', 0.80);
  Reconcile();
  EXPECT_EQ(Status()["phase"], "Training");
  Finish(2, "Succeeded", 'b', 0.85);
  Reconcile();
  const Json status = Status();
  EXPECT_EQ(status["phase"], "Completed");
  EXPECT_EQ(status["stopReason"], "TargetMetric");
  EXPECT_EQ(status["bestRound"]["name"], RoundName(2));
  EXPECT_DOUBLE_EQ(status["bestRound"]["primaryMetric"]["value"].get<double>(), 0.85);
  EXPECT_EQ(RoundCount(), 2u);
}

TEST_F(FederatedModelControllerTest, BestRoundIsByMetricNotRecency) {
  AddModel(ModelObject());
  Reconcile();
  Finish(1, "Succeeded", 'a', 0.81);
  Reconcile();
  Finish(2, "Succeeded", 'b', 0.78);
  Reconcile();
  EXPECT_EQ(Status()["bestRound"]["name"], RoundName(1));
  EXPECT_EQ(Status()["latestRound"]["name"], RoundName(2));
}

TEST_F(FederatedModelControllerTest, AMetricTargetWithoutMetricsKeepsTraining) {
  Json model = ModelObject();
  model["spec"]["stopWhen"]["metric"] = {{"name", "roc_auc"}, {"atLeast", 0.5}};
  AddModel(model);
  Reconcile();
  Finish(1, "Succeeded");
  Reconcile();
  EXPECT_EQ(Status()["phase"], "Training");
  EXPECT_EQ(RoundCount(), 2u);
}

TEST_F(FederatedModelControllerTest, ShowsThePromotedRoundsDigest) {
  Json model = ModelObject();
  model["spec"]["promotedRound"] = RoundName(1);
  AddModel(model);
  Reconcile();
  EXPECT_FALSE(Status().contains("promoted"));
  EXPECT_EQ(ConditionReason(kConditionPromoted), "False/RoundNotSucceeded");
  Finish(1, "Succeeded", 'e');
  Reconcile();
  EXPECT_EQ(Status()["promoted"], Json({{"round", RoundName(1)}, {"digest", DigestOf('e')}}));
  EXPECT_EQ(ConditionReason(kConditionPromoted), "True/RoundPromoted");

  model = Model();
  model["spec"]["promotedRound"] = RoundName(2);  // running, not yet a model
  hub_.AddObject(kFederatedModels, model);
  Reconcile();
  EXPECT_FALSE(Status().contains("promoted"));
  EXPECT_EQ(ConditionReason(kConditionPromoted), "False/RoundNotSucceeded");
}

TEST_F(FederatedModelControllerTest, SuspendedLinesCreateNoRound) {
  Json model = ModelObject();
  model["spec"]["suspend"] = true;
  AddModel(model);
  Reconcile();
  EXPECT_EQ(RoundCount(), 0u);
  EXPECT_EQ(Status()["phase"], "Suspended");
}

Json SiloWithSpent(const std::string& name, double budget, int rounds_spent) {
  Json silo = ReadYamlFile("examples/kubernetes/regionsilo-eu-west.yaml");
  silo["metadata"]["name"] = name;
  silo["spec"]["privacyBudget"]["epsilon"] = budget;
  SiloLedger ledger(PrivacyBudget{budget, 1e-5});
  for (int i = 1; i <= rounds_spent; ++i) {
    ledger.Commit("old-r" + std::to_string(i), RoundCharge(0.01, 0.813, 20));
  }
  silo["status"]["ledger"] = ledger.ToStatus();
  return silo;
}

TEST_F(FederatedModelControllerTest, StopsBeforeTheEpsilonCapAndReportsTheLargestSpent) {
  SiloLedger probe(PrivacyBudget{100, 1e-5});
  probe.Commit("x", RoundCharge(0.01, 0.813, 20));
  const double one_round = probe.EpsilonSpent();
  probe.Commit("y", RoundCharge(0.01, 0.813, 20));
  const double two_rounds = probe.EpsilonSpent();
  ASSERT_GT(two_rounds, one_round);
  hub_.AddObject(kRegionSilos, SiloWithSpent("eu-west", 100, 1));
  hub_.AddObject(kRegionSilos, SiloWithSpent("us-east", 100, 0));
  Json model = ModelObject();
  // One round fits under the cap; a second one composed on it does not.
  model["spec"]["stopWhen"]["epsilonSpent"] = (one_round + two_rounds) / 2;
  AddModel(model);
  const ReconcileResult result = Reconcile();
  const Json status = Status();
  EXPECT_EQ(status["phase"], "Completed");
  EXPECT_EQ(status["stopReason"], "EpsilonCap");
  EXPECT_DOUBLE_EQ(status["epsilonSpent"].get<double>(), one_round);
  EXPECT_EQ(RoundCount(), 0u);
  EXPECT_TRUE(result.requeue_after.has_value());  // budgets change without a model event

  // Without the spent silo, a round fits under the cap.
  hub_.Delete(kRegionSilos, {kNamespace, "eu-west"});
  Reconcile();
  EXPECT_EQ(Status()["phase"], "Training");
  EXPECT_EQ(RoundCount(), 1u);
}

TEST_F(FederatedModelControllerTest, StopsWhenTooFewSilosHaveBudget) {
  hub_.AddObject(kRegionSilos, SiloWithSpent("eu-west", 0.01, 0));
  hub_.AddObject(kRegionSilos, SiloWithSpent("us-east", 0.01, 0));
  AddModel(ModelObject());
  Reconcile();
  EXPECT_EQ(Status()["stopReason"], "BudgetExhausted");
  EXPECT_EQ(RoundCount(), 0u);
}

TEST_F(FederatedModelControllerTest, AnInvalidTemplateIsReportedAndCreatesNothing) {
  Json model = ModelObject();
  model["spec"]["roundTemplate"]["spec"]["minParticipants"] = "two";
  AddModel(model);
  EXPECT_FALSE(Reconcile().requeue_after.has_value());
  EXPECT_EQ(RoundCount(), 0u);
  EXPECT_EQ(ConditionReason(kConditionProgressing), "False/InvalidSpec");
}

TEST_F(FederatedModelControllerTest, ADeletedModelIsDone) {
  EXPECT_FALSE(Reconcile().requeue_after.has_value());
}

TEST_F(FederatedModelControllerTest, AScheduledLineWaitsForItsFirstTick) {
  AddModel(ScheduledModel("0 2 * * *"));  // created 2026-03-01T10:07:00Z
  ReconcileResult result = Reconcile();
  EXPECT_EQ(RoundCount(), 0u);
  Json status = Status();
  EXPECT_EQ(status["nextRoundTime"], "2026-03-02T02:00:00Z");
  EXPECT_EQ(status["phase"], "Training");
  EXPECT_FALSE(status.contains("activeRound"));
  EXPECT_EQ(ConditionReason(kConditionProgressing), "True/WaitingForSchedule");
  EXPECT_EQ(ConditionMessage(kConditionProgressing),
            "the next round starts at 2026-03-02T02:00:00Z (spec.schedule \"0 2 * * *\")");
  // A long wait is looked at again at the resync period...
  EXPECT_EQ(result.requeue_after, std::chrono::milliseconds(std::chrono::minutes(5)));

  // ...a short one exactly at the tick.
  now_ = At("2026-03-02T01:58:30Z");
  result = Reconcile();
  EXPECT_EQ(result.requeue_after, std::chrono::milliseconds(std::chrono::seconds(90)));
  EXPECT_EQ(RoundCount(), 0u);

  now_ = At("2026-03-02T02:00:00Z");
  result = Reconcile();
  EXPECT_EQ(RoundCount(), 1u);
  status = Status();
  EXPECT_EQ(status["activeRound"], RoundName(1));
  EXPECT_FALSE(status.contains("nextRoundTime"));
  EXPECT_EQ(ConditionReason(kConditionProgressing), "True/RoundRunning");
  EXPECT_EQ(result.requeue_after, std::chrono::milliseconds(std::chrono::seconds(30)));
}

TEST_F(FederatedModelControllerTest, TheNextRoundWaitsForTheTickAfterTheLastCompletion) {
  AddModel(ScheduledModel("0 2 * * *"));
  now_ = At("2026-03-02T02:00:00Z");
  Reconcile();
  ASSERT_EQ(RoundCount(), 1u);
  FinishAt(1, "2026-03-02T03:10:00Z");
  now_ = At("2026-03-02T03:10:05Z");
  Reconcile();
  EXPECT_EQ(RoundCount(), 1u);
  EXPECT_EQ(Status()["nextRoundTime"], "2026-03-03T02:00:00Z");
  EXPECT_EQ(Status()["roundsSucceeded"], 1);
  EXPECT_FALSE(Status().contains("activeRound"));

  now_ = At("2026-03-03T01:59:59Z");
  Reconcile();
  EXPECT_EQ(RoundCount(), 1u);
  now_ = At("2026-03-03T02:00:00Z");
  Reconcile();
  EXPECT_EQ(RoundCount(), 2u);
  EXPECT_EQ(Round(2)["spec"]["baseModel"], Json({{"previousRound", RoundName(1)}}));
  EXPECT_FALSE(Status().contains("nextRoundTime"));
}

TEST_F(FederatedModelControllerTest, ALongRoundThatMissedTicksCausesNoBurst) {
  AddModel(ScheduledModel("*/10 * * * *"));
  now_ = At("2026-03-01T10:10:00Z");
  Reconcile();
  ASSERT_EQ(RoundCount(), 1u);
  SetRunning(1);
  // Ticks at 10:20 ... 12:30 pass while r1 runs: no twin, no time shown.
  for (const char* t : {"2026-03-01T10:20:00Z", "2026-03-01T11:00:00Z", "2026-03-01T12:30:00Z"}) {
    now_ = At(t);
    Reconcile();
    EXPECT_EQ(RoundCount(), 1u) << t;
    EXPECT_FALSE(Status().contains("nextRoundTime")) << t;
    EXPECT_EQ(Status()["activeRound"], RoundName(1)) << t;
  }
  FinishAt(1, "2026-03-01T12:34:00Z");
  now_ = At("2026-03-01T12:34:10Z");
  Reconcile();
  EXPECT_EQ(RoundCount(), 1u);  // the missed ticks are not made up
  EXPECT_EQ(Status()["nextRoundTime"], "2026-03-01T12:40:00Z");
  now_ = At("2026-03-01T12:40:00Z");
  Reconcile();
  Reconcile();
  EXPECT_EQ(RoundCount(), 2u);
  EXPECT_EQ(Creates(), 2);
}

TEST_F(FederatedModelControllerTest, AMacroScheduleWorks) {
  AddModel(ScheduledModel("@hourly"));
  Reconcile();
  EXPECT_EQ(Status()["nextRoundTime"], "2026-03-01T11:00:00Z");
  EXPECT_EQ(RoundCount(), 0u);
}

TEST_F(FederatedModelControllerTest, ABadScheduleIsAnInvalidSpec) {
  AddModel(ScheduledModel("61 * * * *"));
  EXPECT_FALSE(Reconcile().requeue_after.has_value());
  EXPECT_EQ(RoundCount(), 0u);
  EXPECT_EQ(ConditionReason(kConditionProgressing), "False/InvalidSpec");
  EXPECT_EQ(ConditionMessage(kConditionProgressing),
            "FederatedModel fedcrm/churn-global: spec.schedule: minute field '61' is out of 0-59");
  EXPECT_FALSE(Status().contains("nextRoundTime"));

  Json model = Model();
  model["spec"]["schedule"] = "0 0 30 2 *";
  hub_.AddObject(kFederatedModels, model);
  Reconcile();
  EXPECT_EQ(RoundCount(), 0u);
  EXPECT_EQ(ConditionReason(kConditionProgressing), "False/InvalidSpec");
  EXPECT_NE(ConditionMessage(kConditionProgressing).find("never fires"), std::string::npos)
      << ConditionMessage(kConditionProgressing);
}

TEST_F(FederatedModelControllerTest, SuspendWinsOverASchedule) {
  AddModel(ScheduledModel("0 2 * * *"));
  Reconcile();
  EXPECT_TRUE(Status().contains("nextRoundTime"));
  Json model = Model();
  model["spec"]["suspend"] = true;
  hub_.AddObject(kFederatedModels, model);
  now_ = At("2026-03-02T02:00:00Z");  // the tick passes while suspended
  EXPECT_FALSE(Reconcile().requeue_after.has_value());
  EXPECT_EQ(RoundCount(), 0u);
  EXPECT_EQ(Status()["phase"], "Suspended");
  EXPECT_FALSE(Status().contains("nextRoundTime"));
}

TEST_F(FederatedModelControllerTest, AStoppedLineDoesNotWaitForATick) {
  Json model = ScheduledModel("0 2 * * *");
  model["spec"]["rounds"] = 1;
  AddModel(model);
  now_ = At("2026-03-02T02:00:00Z");
  Reconcile();
  FinishAt(1, "2026-03-02T02:30:00Z");
  now_ = At("2026-03-02T02:31:00Z");
  EXPECT_FALSE(Reconcile().requeue_after.has_value());
  const Json status = Status();
  EXPECT_EQ(status["phase"], "Completed");
  EXPECT_EQ(status["stopReason"], "RoundLimit");
  EXPECT_FALSE(status.contains("nextRoundTime"));
}

TEST(ModelOfRoundTest, FromTheOwnerReferenceOrTheLabel) {
  const Json owned = {
      {"metadata",
       {{"name", "m-r1"},
        {"namespace", "ns"},
        {"ownerReferences",
         {{{"apiVersion", "fedcrm.io/v1alpha1"}, {"kind", "FederatedModel"}, {"name", "m"}}}}}}};
  EXPECT_EQ(ModelOfRound(owned), (kube::ObjectKey{"ns", "m"}));
  const Json labelled = {
      {"metadata",
       {{"name", "m-r2"}, {"namespace", "ns"}, {"labels", {{"fedcrm.io/model", "m"}}}}}};
  EXPECT_EQ(ModelOfRound(labelled), (kube::ObjectKey{"ns", "m"}));
  const Json other = {{"metadata", {{"name", "hand-made"}, {"namespace", "ns"}}}};
  EXPECT_FALSE(ModelOfRound(other).has_value());
  // A label that does not name the round's own line is not trusted.
  const Json mislabelled = {
      {"metadata",
       {{"name", "other-r1"}, {"namespace", "ns"}, {"labels", {{"fedcrm.io/model", "m"}}}}}};
  EXPECT_FALSE(ModelOfRound(mislabelled).has_value());
}

}  // namespace
}  // namespace fedcrm::op
