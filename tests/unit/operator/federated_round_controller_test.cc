// The FederatedRound reconciler against an in-memory API server and a fake
// aggregator: admission and reservations, Jobs, commit and release, deletion,
// and idempotency when a reconcile is repeated or cut short.
#include "operator/federated_round_controller.h"

#include <gtest/gtest.h>

#include <map>

#include "core/common/yaml_json.h"
#include "kube/api_error.h"
#include "kube/fake_client.h"
#include "kube/resources.h"
#include "operator/fedcrm_resources.h"
#include "operator/object_names.h"

namespace fedcrm::op {
namespace {

using kube::Json;

const char* const kNamespace = "fedcrm";

// Configures rounds and answers their status as the test scripts it.
class FakeAggregator : public AggregatorAdmin {
 public:
  Json PutRound(const fl::RoundConfig& config) override {
    ++puts;
    configs[config.round_id] = fl::RoundConfigToJson(config);
    if (!statuses.count(config.round_id)) {
      statuses[config.round_id] = {{"round", config.round_id},
                                   {"phase", "statistics/advertise-keys"}};
    }
    return statuses[config.round_id];
  }
  std::optional<Json> GetRound(const std::string& round) override {
    auto it = statuses.find(round);
    if (it == statuses.end()) return std::nullopt;
    return it->second;
  }
  void Release(const std::string& round, std::vector<std::string> contributors,
               std::vector<std::string> dropped) {
    statuses[round] = {{"round", round},
                       {"phase", "succeeded"},
                       {"model", "sha256:" + std::string(64, 'c')},
                       {"contributors", contributors},
                       {"dropped", dropped}};
  }
  int puts = 0;
  std::map<std::string, Json> configs;
  std::map<std::string, Json> statuses;
};

Json ReadyStatus() {
  return {{"conditions",
           {{{"type", "Ready"},
             {"status", "True"},
             {"reason", "Ready"},
             {"message", ""},
             {"lastTransitionTime", "2026-11-30T00:00:00Z"}},
            {{"type", "ResidencyVerified"},
             {"status", "True"},
             {"reason", "NodesInRegion"},
             {"message", ""},
             {"lastTransitionTime", "2026-11-30T00:00:00Z"}}}}};
}

Json Silo(const std::string& name, double budget) {
  Json silo = ReadYamlFile("examples/kubernetes/regionsilo-eu-west.yaml");
  silo["metadata"]["name"] = name;
  silo["spec"]["privacyBudget"]["epsilon"] = budget;
  silo["status"] = ReadyStatus();
  return silo;
}

class FederatedRoundControllerTest : public ::testing::Test {
 protected:
  FederatedRoundControllerTest()
      : clusters_(hub_, [](const kube::KubeConfig&) -> std::shared_ptr<kube::Client> {
          throw std::logic_error("every silo of this test is on the hub");
        }) {
    hub_.RegisterStatusSubresource(kRegionSilos);
    hub_.RegisterStatusSubresource(kFederatedRounds);
    RoundControllerOptions options;
    options.job.aggregator_url = "https://aggregator.fedcrm.svc:8443";
    options.job.default_image = "fedcrm/worker:test";
    reconciler_ =
        std::make_unique<FederatedRoundReconciler>(hub_, clusters_, aggregator_, nullptr, options);
  }

  void AddSilos(std::map<std::string, double> budgets) {
    for (const auto& [name, budget] : budgets) hub_.AddObject(kRegionSilos, Silo(name, budget));
  }

  void AddRound(int min_participants = 2, const Json& spec_patch = Json::object()) {
    Json round = ReadYamlFile("examples/kubernetes/federatedround-churn.yaml");
    round["metadata"]["name"] = "r1";
    round["spec"].erase("baseModel");
    round["spec"]["minParticipants"] = min_participants;
    round["spec"]["secureAggregation"]["threshold"] = min_participants;
    round["spec"].merge_patch(spec_patch);
    hub_.AddObject(kFederatedRounds, round);
  }

  Json Round() { return hub_.Get(kFederatedRounds, {kNamespace, "r1"}); }
  Json Ledger(const std::string& silo) {
    return hub_.Get(kRegionSilos, {kNamespace, silo})["status"].value("ledger", Json::object());
  }
  // Reconciles until the round stops asking to be looked at right away.
  ReconcileResult Reconcile() {
    ReconcileResult result;
    for (int i = 0; i < 5; ++i) {
      result = reconciler_->Reconcile({kNamespace, "r1"});
      if (!result.requeue_after || result.requeue_after->count() > 0) break;
    }
    return result;
  }
  size_t Jobs() { return hub_.List(kube::resources::kJobs, kNamespace).items.size(); }

  kube::FakeClient hub_;
  ClusterConnections clusters_;
  FakeAggregator aggregator_;
  std::unique_ptr<FederatedRoundReconciler> reconciler_;
};

TEST_F(FederatedRoundControllerTest, AdmitsReservesAndStartsOneJobPerSilo) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}, {"ap", 3.0}});
  AddRound();
  const ReconcileResult result = Reconcile();
  ASSERT_TRUE(result.requeue_after.has_value());  // running: follow the aggregator

  const Json round = Round();
  EXPECT_EQ(round["status"]["phase"], "Running") << round["status"].dump(2);
  EXPECT_EQ(round["status"]["participants"], 3);
  EXPECT_EQ(round["metadata"]["finalizers"], Json::array({kCleanupFinalizer}));
  for (const char* silo : {"eu", "us", "ap"}) {
    const Json ledger = Ledger(silo);
    ASSERT_EQ(ledger["reservations"].size(), 1u) << silo << ledger.dump();
    EXPECT_EQ(ledger["reservations"][0]["round"], "r1");
    EXPECT_GT(ledger["epsilonReserved"].get<double>(), 0.0);
  }
  EXPECT_EQ(aggregator_.puts, 1);
  EXPECT_EQ(aggregator_.configs["r1"]["silos"].size(), 3u);
  EXPECT_EQ(Jobs(), 3u);
  EXPECT_NO_THROW(hub_.Get(kube::resources::kJobs, {kNamespace, WorkerJobName("r1", "eu")}));

  // Repeating changes nothing: no second PUT, no fourth Job, no second charge.
  const Json eu_before = Ledger("eu");
  Reconcile();
  Reconcile();
  EXPECT_EQ(aggregator_.puts, 1);
  EXPECT_EQ(Jobs(), 3u);
  EXPECT_EQ(Ledger("eu"), eu_before);
}

TEST_F(FederatedRoundControllerTest, CommitsContributorsAndReleasesTheRestOnSuccess) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}, {"ap", 3.0}});
  AddRound();
  Reconcile();
  aggregator_.Release("r1", {"eu", "us"}, {"ap"});
  EXPECT_FALSE(Reconcile().requeue_after.has_value());

  const Json round = Round();
  EXPECT_EQ(round["status"]["phase"], "Succeeded") << round["status"].dump(2);
  EXPECT_EQ(round["status"]["model"]["digest"], "sha256:" + std::string(64, 'c'));
  EXPECT_EQ(round["status"]["participants"], 2);
  std::map<std::string, std::string> states;
  for (const Json& silo : round["status"]["silos"]) states[silo["name"]] = silo["state"];
  EXPECT_EQ(states["eu"], "Submitted");
  EXPECT_EQ(states["ap"], "Dropped");

  const Json eu = Ledger("eu");
  EXPECT_TRUE(eu["reservations"].empty()) << eu.dump();
  EXPECT_GT(eu["epsilonSpent"].get<double>(), 0.0);
  EXPECT_EQ(eu["committedRounds"], Json::array({"r1"}));
  EXPECT_EQ(eu["roundsJoined"], 1);
  const Json ap = Ledger("ap");
  EXPECT_TRUE(ap["reservations"].empty());
  EXPECT_EQ(ap["epsilonSpent"].get<double>(), 0.0);

  // Once settled, nothing is charged twice however often it is reconciled.
  Reconcile();
  EXPECT_EQ(Ledger("eu"), eu);
}

TEST_F(FederatedRoundControllerTest, CopiesTheFederatedEvaluationIntoTheModelStatus) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}, {"ap", 3.0}});
  AddRound();
  Reconcile();
  // The CRD's default holds out a fifth of each silo's rows for evaluation.
  EXPECT_EQ(aggregator_.configs["r1"]["evaluation"]["holdoutFraction"], 0.2);
  aggregator_.Release("r1", {"eu", "us", "ap"}, {});
  aggregator_.statuses["r1"]["evaluation"] = {
      {"examples", 600},
      {"silos", {"ap", "eu", "us"}},
      {"metrics", {{"roc_auc", 0.8125}, {"accuracy", 0.75}, {"log_loss", 0.48}}},
      {"primaryMetric", {{"name", "roc_auc"}, {"value", 0.8125}}}};
  Reconcile();

  const Json status = Round()["status"];
  const Json& model = status["model"];
  EXPECT_EQ(model["primaryMetric"], Json({{"name", "roc_auc"}, {"value", 0.8125}}));
  EXPECT_EQ(model["metrics"]["accuracy"], 0.75);
  EXPECT_EQ(model["evaluatedExamples"], 600);
  bool said = false;
  for (const Json& condition : status["conditions"]) {
    if (condition["type"] == "Succeeded") {
      said = condition["message"].get<std::string>().find("roc_auc 0.8125 on 600 held-out rows") !=
             std::string::npos;
    }
  }
  EXPECT_TRUE(said) << status.dump(2);
}

TEST_F(FederatedRoundControllerTest, ARoundWithoutEvaluationHasNoEvaluationStageOrMetrics) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}, {"ap", 3.0}});
  AddRound(2, {{"evaluation", {{"holdoutFraction", 0}}}});
  Reconcile();
  EXPECT_FALSE(aggregator_.configs["r1"].contains("evaluation")) << aggregator_.configs["r1"];
  aggregator_.Release("r1", {"eu", "us", "ap"}, {});
  Reconcile();
  const Json model = Round()["status"]["model"];
  EXPECT_FALSE(model.contains("metrics"));
  EXPECT_FALSE(model.contains("primaryMetric"));
}

TEST_F(FederatedRoundControllerTest, ExcludesASiloWhoseBudgetCannotCoverTheRound) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}, {"ap", 0.05}});
  AddRound(2);
  Reconcile();
  const Json round = Round();
  EXPECT_EQ(round["status"]["phase"], "Running");
  EXPECT_EQ(round["status"]["participants"], 2);
  bool excluded = false;
  for (const Json& silo : round["status"]["silos"]) {
    if (silo["name"] == "ap") {
      EXPECT_EQ(silo["state"], "Excluded");
      EXPECT_EQ(silo["reason"], "BudgetExhausted");
      excluded = true;
    }
  }
  EXPECT_TRUE(excluded);
  EXPECT_TRUE(Ledger("ap").value("reservations", Json::array()).empty());
  EXPECT_EQ(aggregator_.configs["r1"]["silos"].size(), 2u);
  EXPECT_EQ(Jobs(), 2u);
}

TEST_F(FederatedRoundControllerTest, FailsAdmissionBelowMinParticipantsAndReservesNothing) {
  AddSilos({{"eu", 3.0}, {"us", 0.05}, {"ap", 0.05}});
  AddRound(2);
  EXPECT_FALSE(Reconcile().requeue_after.has_value());
  const Json round = Round();
  EXPECT_EQ(round["status"]["phase"], "Failed");
  bool failed = false;
  for (const Json& c : round["status"]["conditions"]) {
    if (c["type"] == "Failed") {
      EXPECT_EQ(c["status"], "True");
      EXPECT_EQ(c["reason"], "InsufficientParticipants");
      failed = true;
    }
  }
  EXPECT_TRUE(failed) << round["status"].dump(2);
  for (const char* silo : {"eu", "us", "ap"}) {
    EXPECT_TRUE(Ledger(silo).value("reservations", Json::array()).empty()) << silo;
  }
  EXPECT_EQ(aggregator_.puts, 0);
  EXPECT_EQ(Jobs(), 0u);
}

TEST_F(FederatedRoundControllerTest, ReleasesEveryReservationWhenTheAggregatorFails) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}});
  AddRound();
  Reconcile();
  aggregator_.statuses["r1"] = {{"phase", "failed"}, {"failure", "too few survivors"}};
  Reconcile();
  const Json round = Round();
  EXPECT_EQ(round["status"]["phase"], "Failed");
  for (const char* silo : {"eu", "us"}) {
    const Json ledger = Ledger(silo);
    EXPECT_TRUE(ledger["reservations"].empty()) << silo;
    EXPECT_EQ(ledger["epsilonSpent"].get<double>(), 0.0);
  }
}

TEST_F(FederatedRoundControllerTest, AStatusWriteLostAfterReservingDoesNotChargeTwice) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}});
  AddRound();
  // The reservations land, then the round's status write fails (a crash).
  hub_.InjectError(kube::FakeClient::Verb::kUpdate, kFederatedRounds,
                   kube::ApiError(500, "InternalError", "injected", "update"), 1, "status");
  EXPECT_ANY_THROW(reconciler_->Reconcile({kNamespace, "r1"}));
  const Json eu_reserved = Ledger("eu");
  ASSERT_EQ(eu_reserved["reservations"].size(), 1u);
  Reconcile();
  EXPECT_EQ(Round()["status"]["phase"], "Running");
  EXPECT_EQ(Ledger("eu")["reservations"].size(), 1u);
  EXPECT_EQ(Ledger("eu")["epsilonReserved"], eu_reserved["epsilonReserved"]);
}

TEST_F(FederatedRoundControllerTest, DeletingARoundRemovesItsJobsAndReleasesItsReservations) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}});
  AddRound();
  Reconcile();
  ASSERT_EQ(Jobs(), 2u);
  aggregator_.statuses.erase("r1");  // e.g. the aggregator lost the running round
  hub_.Delete(kFederatedRounds, {kNamespace, "r1"});
  ASSERT_TRUE(Round()["metadata"].contains("deletionTimestamp"));  // held by the finalizer
  Reconcile();
  EXPECT_EQ(Jobs(), 0u);
  EXPECT_THROW(Round(), kube::ApiError);  // finalizer removed, object gone
  EXPECT_TRUE(Ledger("eu")["reservations"].empty());
}

TEST_F(FederatedRoundControllerTest, KeepsReservationsOfADeletedRoundTheAggregatorMayStillRelease) {
  AddSilos({{"eu", 3.0}, {"us", 3.0}});
  AddRound();
  Reconcile();
  hub_.Delete(kFederatedRounds, {kNamespace, "r1"});
  Reconcile();
  EXPECT_THROW(Round(), kube::ApiError);
  // Still running in the aggregator: over-counting is allowed, under-counting never.
  EXPECT_EQ(Ledger("eu")["reservations"].size(), 1u);
}

}  // namespace
}  // namespace fedcrm::op
