#include "operator/object_names.h"

#include <gtest/gtest.h>

#include <string>

namespace fedcrm::op {
namespace {

TEST(ObjectNamesTest, ShortNamesAreKeptAsTheyAre) {
  EXPECT_EQ(WorkerJobName("churn-r3", "eu-west"), "churn-r3-eu-west");
  EXPECT_EQ(WorkerServiceAccountName("eu-west"), "fedcrm-worker-eu-west");
  EXPECT_EQ(WorkerTlsSecretName("eu-west"), "fedcrm-worker-eu-west-tls");
  EXPECT_EQ(LabelValue("eu-west"), "eu-west");
}

TEST(ObjectNamesTest, LongNamesAreCutDeterministicallyAndStayDistinct) {
  const std::string round(60, 'a');
  const std::string a = WorkerJobName(round, "eu-west");
  const std::string b = WorkerJobName(round, "us-east");
  EXPECT_EQ(a.size(), 63u);
  EXPECT_EQ(a, WorkerJobName(round, "eu-west"));
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 52), std::string(52, 'a'));
}

TEST(ObjectNamesTest, CutNamesNeverEndInASeparatorBeforeTheHash) {
  const std::string name = std::string(51, 'a') + "-.-" + std::string(20, 'b');
  const std::string bounded = BoundedName(name, 63);
  EXPECT_LE(bounded.size(), 63u);
  EXPECT_EQ(bounded.find("--"), std::string::npos);
  EXPECT_EQ(bounded.find(".-"), std::string::npos);
  EXPECT_EQ(LabelValue(std::string(253, 'x')).size(), 63u);
}

}  // namespace
}  // namespace fedcrm::op
