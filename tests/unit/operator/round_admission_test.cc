#include "operator/round_admission.h"

#include <gtest/gtest.h>

#include "core/common/yaml_json.h"
#include "core/privacy/rdp_conversion.h"
#include "operator/privacy_ledger.h"

namespace fedcrm::op {
namespace {

const auto kNow = std::chrono::system_clock::from_time_t(1'800'000'000);

Json SiloObject(const std::string& name, double epsilon, bool ready = true, bool residency = true) {
  Json conditions = Json::array();
  conditions.push_back({{"type", "Ready"},
                        {"status", ready ? "True" : "False"},
                        {"reason", ready ? "Ready" : "Unreachable"},
                        {"message", ready ? "" : "the regional API server does not answer"}});
  conditions.push_back({{"type", "ResidencyVerified"},
                        {"status", residency ? "True" : "False"},
                        {"reason", "Checked"},
                        {"message", residency ? "" : "node n2 is in us-west-2"}});
  return {
      {"metadata",
       {{"name", name}, {"namespace", "fedcrm"}, {"labels", {{"fedcrm.io/federation", "crm"}}}}},
      {"spec",
       {{"region", name + "-1"},
        {"jurisdiction", "Other"},
        {"data", {{"persistentVolumeClaim", {{"claimName", "crm"}}}, {"path", "a.csv"}}},
        {"privacyBudget", {{"epsilon", epsilon}, {"delta", 1e-5}}}}},
      {"status", {{"conditions", conditions}}}};
}

FederatedRound Round(int64_t min_participants = 2) {
  Json object = ReadYamlFile("examples/kubernetes/federatedround-churn.yaml");
  object["spec"]["minParticipants"] = min_participants;
  return ParseFederatedRound(object);
}

// Between the epsilon of one round and that of two composed.
double OneRoundBudget() {
  const auto charge = privacy::SampledGaussianRdp(0.01, 0.813, 20);
  return (privacy::EpsilonFromRdp(charge, 1e-5).epsilon +
          privacy::EpsilonFromRdp(charge + charge, 1e-5).epsilon) /
         2;
}

double RoundEpsilon() {
  return privacy::EpsilonFromRdp(privacy::SampledGaussianRdp(0.01, 0.813, 20), 1e-5).epsilon;
}

TEST(RoundAdmissionTest, AdmitsEligibleSilosWithTheirExactCharge) {
  const std::vector<CandidateSilo> silos = {CandidateFromObject(SiloObject("us", 3)),
                                            CandidateFromObject(SiloObject("eu", 3))};
  const RoundAdmission admission = AdmitRound(Round(), silos);
  EXPECT_TRUE(admission.admitted);
  EXPECT_EQ(admission.reason, "Admitted");
  ASSERT_EQ(admission.silos.size(), 2u);
  EXPECT_EQ(admission.silos[0].name, "eu");  // sorted
  EXPECT_TRUE(admission.silos[0].eligible);
  EXPECT_EQ(admission.silos[0].charge, privacy::SampledGaussianRdp(0.01, 0.813, 20));
  EXPECT_DOUBLE_EQ(admission.silos[0].epsilon_charge, RoundEpsilon());
  const auto roster = admission.Roster(silos);
  ASSERT_EQ(roster.size(), 2u);
  EXPECT_EQ(roster[1].name, "us");
  EXPECT_DOUBLE_EQ(roster[1].epsilon_budget, 3.0);
}

TEST(RoundAdmissionTest, ExcludesWithAReasonAndFailsBelowTheMinimum) {
  const std::vector<CandidateSilo> silos = {
      CandidateFromObject(SiloObject("a", 3)),
      CandidateFromObject(SiloObject("b", 3, /*ready=*/false)),
      CandidateFromObject(SiloObject("c", 3, true, /*residency=*/false)),
      CandidateFromObject(SiloObject("d", RoundEpsilon() / 2))};
  const RoundAdmission admission = AdmitRound(Round(2), silos);
  EXPECT_FALSE(admission.admitted);
  EXPECT_EQ(admission.reason, "InsufficientParticipants");
  EXPECT_EQ(admission.Eligible(), 1);
  ASSERT_EQ(admission.silos.size(), 4u);
  EXPECT_EQ(admission.silos[1].reason, "NotReady");
  EXPECT_NE(admission.silos[1].message.find("does not answer"), std::string::npos);
  EXPECT_EQ(admission.silos[2].reason, "ResidencyNotVerified");
  EXPECT_EQ(admission.silos[3].reason, "BudgetExhausted");
  EXPECT_NE(admission.silos[3].message.find("needs ε"), std::string::npos);
  EXPECT_NE(admission.silos[3].message.find("remaining of"), std::string::npos);
  for (const char* name : {"b (NotReady", "c (ResidencyNotVerified", "d (BudgetExhausted"}) {
    EXPECT_NE(admission.message.find(name), std::string::npos) << admission.message;
  }
  EXPECT_NE(admission.message.find("1 eligible of 4 selected, 2 needed"), std::string::npos);
  EXPECT_TRUE(
      AdmitRound(Round(1 + 1), {silos[0], CandidateFromObject(SiloObject("e", 3))}).admitted);
}

TEST(RoundAdmissionTest, TheMessageStaysShortWithManyExclusions) {
  std::vector<CandidateSilo> silos;
  for (int i = 0; i < 600; ++i) {
    silos.push_back(CandidateFromObject(SiloObject("silo-" + std::to_string(i), 3, false)));
  }
  const RoundAdmission admission = AdmitRound(Round(2), silos);
  EXPECT_FALSE(admission.admitted);
  EXPECT_LT(admission.message.size(), 4096u) << admission.message.size();
  EXPECT_NE(admission.message.find("silo-0 (NotReady"), std::string::npos);
  EXPECT_NE(admission.message.find("and 595 more (see status.silos)"), std::string::npos)
      << admission.message;
  EXPECT_EQ(admission.silos.size(), 600u);  // every one is still in status.silos
}

TEST(RoundAdmissionTest, CountsReservationsOfOtherRounds) {
  Json object = SiloObject("a", OneRoundBudget());
  SiloLedger ledger(PrivacyBudget{OneRoundBudget(), 1e-5});
  ledger.Reserve("other-round", RoundCharge(0.01, 0.813, 20), kNow);
  object["status"]["ledger"] = ledger.ToStatus();
  const RoundAdmission admission =
      AdmitRound(Round(2), {CandidateFromObject(object), CandidateFromObject(SiloObject("b", 3))});
  EXPECT_FALSE(admission.admitted);
  EXPECT_EQ(admission.silos[0].reason, "BudgetExhausted");

  // The same silo with the reservation made by THIS round stays eligible.
  SiloLedger own(PrivacyBudget{OneRoundBudget(), 1e-5});
  own.Reserve("churn-adhoc-1", RoundCharge(0.01, 0.813, 20), kNow);
  object["status"]["ledger"] = own.ToStatus();
  EXPECT_TRUE(
      AdmitRound(Round(2), {CandidateFromObject(object), CandidateFromObject(SiloObject("b", 3))})
          .admitted);
}

TEST(RoundAdmissionTest, SelectsByLabelAndNamespace) {
  Json other = SiloObject("x", 3);
  other["metadata"]["labels"]["fedcrm.io/federation"] = "other";
  Json elsewhere = SiloObject("y", 3);
  elsewhere["metadata"]["namespace"] = "elsewhere";
  const RoundAdmission admission =
      AdmitRound(Round(2), {CandidateFromObject(other), CandidateFromObject(elsewhere)});
  EXPECT_FALSE(admission.admitted);
  EXPECT_TRUE(admission.silos.empty());
  EXPECT_NE(admission.message.find("no RegionSilo matches spec.siloSelector"), std::string::npos);
}

TEST(RoundAdmissionTest, AMalformedLedgerExcludesOnlyThatSilo) {
  Json broken = SiloObject("a", 3);
  broken["status"]["ledger"] = {{"composedRdp", {{"orders", {2.0}}, {"values", {}}}}};
  const RoundAdmission admission =
      AdmitRound(Round(2), {CandidateFromObject(broken), CandidateFromObject(SiloObject("b", 3)),
                            CandidateFromObject(SiloObject("c", 3))});
  EXPECT_TRUE(admission.admitted);
  EXPECT_EQ(admission.silos[0].reason, "LedgerInvalid");
  EXPECT_NE(admission.silos[0].message.find("RegionSilo fedcrm/a: status.ledger"),
            std::string::npos);
}

TEST(RoundAdmissionTest, CandidateWithoutConditionsIsNotReady) {
  Json object = SiloObject("a", 3);
  object.erase("status");
  const CandidateSilo candidate = CandidateFromObject(object);
  EXPECT_FALSE(candidate.ready);
  EXPECT_FALSE(candidate.residency_verified);
  const RoundAdmission admission = AdmitRound(Round(2), {candidate});
  EXPECT_EQ(admission.silos[0].reason, "NotReady");
  EXPECT_NE(admission.silos[0].message.find("not reported yet"), std::string::npos);
}

}  // namespace
}  // namespace fedcrm::op
