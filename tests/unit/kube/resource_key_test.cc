#include "kube/resource_key.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace fedcrm::kube {
namespace {

TEST(ObjectKeyTest, RoundTripsNamespacedAndClusterScoped) {
  EXPECT_EQ(ParseObjectKey("eu/round-1"), (ObjectKey{"eu", "round-1"}));
  EXPECT_EQ(ParseObjectKey("node-a"), (ObjectKey{"", "node-a"}));
  EXPECT_EQ((ObjectKey{"eu", "round-1"}).ToString(), "eu/round-1");
  EXPECT_EQ((ObjectKey{"", "node-a"}).ToString(), "node-a");
  EXPECT_EQ(ParseObjectKey("ns/a.b-c").name, "a.b-c");
}

TEST(ObjectKeyTest, RejectsMalformedKeys) {
  for (const char* bad :
       {"", "/", "ns/", "/name", "a/b/c", "NS/name", "ns/Name", "ns/-a", "ns/a..b", "ns/a_b"}) {
    EXPECT_THROW(ParseObjectKey(bad), ConfigError) << bad;
  }
  try {
    ParseObjectKey("a/b/c");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "object key 'a/b/c'");
  }
}

TEST(ObjectKeyTest, NameLengthLimit) {
  EXPECT_TRUE(IsValidObjectName(std::string(253, 'a')));
  EXPECT_FALSE(IsValidObjectName(std::string(254, 'a')));
}

TEST(ObjectKeyTest, NamespacesAreLabelsNotSubdomains) {
  EXPECT_TRUE(IsValidNamespace("fedcrm-system"));
  EXPECT_TRUE(IsValidNamespace(std::string(63, 'a')));
  EXPECT_FALSE(IsValidNamespace(std::string(64, 'a')));
  EXPECT_FALSE(IsValidNamespace("a.b"));
  EXPECT_THROW(ParseObjectKey("a.b/name"), ConfigError);
  EXPECT_EQ(ParseObjectKey("ns/a.b").name, "a.b");
}

TEST(ResourcePathTest, CoreAndGroupedResources) {
  GroupVersionResource pods{"", "v1", "pods"};
  GroupVersionResource rounds{"fedcrm.io", "v1alpha1", "federatedrounds"};
  EXPECT_EQ(ResourcePath(pods, "ns"), "/api/v1/namespaces/ns/pods");
  EXPECT_EQ(ResourcePath(pods, "ns", "p1"), "/api/v1/namespaces/ns/pods/p1");
  EXPECT_EQ(ResourcePath(pods), "/api/v1/pods");
  EXPECT_EQ(ResourcePath(rounds, "ns", "name", "status"),
            "/apis/fedcrm.io/v1alpha1/namespaces/ns/federatedrounds/name/status");
  EXPECT_EQ(ResourcePath(rounds), "/apis/fedcrm.io/v1alpha1/federatedrounds");
  EXPECT_EQ(ResourcePath({"", "v1", "nodes"}, "", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(ResourcePath({"", "v1", "namespaces"}, "", "ns", "status"),
            "/api/v1/namespaces/ns/status");
}

TEST(ResourcePathTest, RejectsPathsThatWouldEscape) {
  GroupVersionResource pods{"", "v1", "pods"};
  EXPECT_THROW(ResourcePath(pods, "ns", "../secrets"), ConfigError);
  EXPECT_THROW(ResourcePath(pods, "..", "x"), ConfigError);
  EXPECT_THROW(ResourcePath(pods, "ns", "a?b"), ConfigError);
  EXPECT_THROW(ResourcePath(pods, "ns", "", "status"), ConfigError);
  EXPECT_THROW(ResourcePath({"", "", "pods"}), ConfigError);
  EXPECT_THROW(ResourcePath({"", "v1", ""}), ConfigError);
}

TEST(LabelSelectorTest, FormatsLabelsAndExpressions) {
  LabelSelector s;
  s.match_labels = {{"region", "eu"}, {"app", "worker"}};
  using Op = LabelSelectorRequirement::Operator;
  s.match_expressions = {{"tier", Op::kIn, {"b", "a"}},
                         {"env", Op::kNotIn, {"dev"}},
                         {"fedcrm.io/silo", Op::kExists, {}},
                         {"legacy", Op::kDoesNotExist, {}}};
  EXPECT_EQ(FormatLabelSelector(s),
            "app=worker,region=eu,tier in (a,b),env notin (dev),fedcrm.io/silo,!legacy");
  EXPECT_EQ(FormatLabelSelector({}), "");
}

TEST(LabelSelectorTest, RejectsValuesThatDontFitTheOperator) {
  using Op = LabelSelectorRequirement::Operator;
  LabelSelector in_without_values;
  in_without_values.match_expressions = {{"tier", Op::kIn, {}}};
  EXPECT_THROW(FormatLabelSelector(in_without_values), ConfigError);
  LabelSelector exists_with_values;
  exists_with_values.match_expressions = {{"tier", Op::kExists, {"x"}}};
  EXPECT_THROW(FormatLabelSelector(exists_with_values), ConfigError);
}

TEST(QueryTest, PercentEncodesSelectors) {
  EXPECT_EQ(EncodeQuery({}), "");
  EXPECT_EQ(EncodeQuery({{"labelSelector", "app=x,tier in (a,b)"}, {"limit", "500"}}),
            "?labelSelector=app%3Dx%2Ctier%20in%20%28a%2Cb%29&limit=500");
  EXPECT_EQ(PercentEncode("a-b.c_d~e/f"), "a-b.c_d~e%2Ff");
  EXPECT_EQ(PercentEncode("\xff"), "%FF");
}

}  // namespace
}  // namespace fedcrm::kube
