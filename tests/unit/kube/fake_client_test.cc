#include "kube/fake_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "kube/resources.h"

namespace fedcrm::kube {
namespace {

const GroupVersionResource kRounds{"fedcrm.io", "v1alpha1", "federatedrounds"};
const GroupVersionResource kSecrets = resources::kSecrets;

Json Round(const std::string& name, const std::string& ns = "team") {
  return {{"apiVersion", "fedcrm.io/v1alpha1"},
          {"kind", "FederatedRound"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"rounds", 3}}}};
}

std::string Rv(const Json& object) {
  return object["metadata"]["resourceVersion"].get<std::string>();
}

std::int64_t Generation(const Json& object) {
  return object["metadata"]["generation"].get<std::int64_t>();
}

ListOptions Labels(const std::string& selector) {
  ListOptions options;
  options.label_selector = selector;
  return options;
}

ListOptions Fields(const std::string& selector) {
  ListOptions options;
  options.field_selector = selector;
  return options;
}

ListOptions Page(std::int64_t limit, const std::string& continue_token = "",
                 const std::string& selector = "") {
  ListOptions options;
  options.limit = limit;
  options.continue_token = continue_token;
  options.label_selector = selector;
  return options;
}

WatchOptions From(const std::string& version, const std::string& selector = "",
                  std::stop_token stop = {}) {
  WatchOptions options;
  options.resource_version = version;
  options.label_selector = selector;
  options.stop = stop;
  return options;
}

template <typename Fn>
ApiError CatchApiError(Fn&& fn) {
  try {
    fn();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an ApiError";
  return ApiError(0, "", "", "");
}

class FakeClientTest : public ::testing::Test {
 protected:
  FakeClientTest() {
    client_.RegisterStatusSubresource(kRounds);
    client_.SetNow(
        [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)); });
  }
  FakeClient client_;
};

TEST_F(FakeClientTest, CreateFillsServerMetadata) {
  Json a = client_.Create(kRounds, Round("a"));
  Json b = client_.Create(kRounds, Round("b"));
  EXPECT_EQ(Generation(a), 1);
  EXPECT_FALSE(a["metadata"]["uid"].get<std::string>().empty());
  EXPECT_NE(a["metadata"]["uid"], b["metadata"]["uid"]);
  EXPECT_EQ(a["metadata"]["creationTimestamp"], "2027-01-15T08:00:00Z");
  EXPECT_LT(std::stoll(Rv(a)), std::stoll(Rv(b)));
  EXPECT_EQ(client_.Get(kRounds, {"team", "a"}), a);
}

TEST_F(FakeClientTest, ResourceVersionIsGlobalAcrossResources) {
  Json a = client_.Create(kRounds, Round("a"));
  Json s = client_.Create(kSecrets, {{"metadata", {{"name", "s"}, {"namespace", "team"}}}});
  EXPECT_EQ(std::stoll(Rv(s)), std::stoll(Rv(a)) + 1);
  EXPECT_EQ(client_.ResourceVersion(), Rv(s));
}

TEST_F(FakeClientTest, CreateExistingIsAlreadyExists) {
  client_.Create(kRounds, Round("a"));
  ApiError e = CatchApiError([&] { client_.Create(kRounds, Round("a")); });
  EXPECT_TRUE(e.IsAlreadyExists());
  EXPECT_FALSE(e.IsConflict());
  // The same name in another namespace is a different object.
  EXPECT_NO_THROW(client_.Create(kRounds, Round("a", "other")));
}

TEST_F(FakeClientTest, CreateRejectsResourceVersionAndBadNames) {
  Json with_rv = Round("a");
  with_rv["metadata"]["resourceVersion"] = "5";
  EXPECT_EQ(CatchApiError([&] { client_.Create(kRounds, with_rv); }).code(), 400);
  EXPECT_TRUE(CatchApiError([&] { client_.Create(kRounds, Round("Bad_Name")); }).IsInvalid());
  Json nameless = Round("a");
  nameless["metadata"].erase("name");
  EXPECT_TRUE(CatchApiError([&] { client_.Create(kRounds, nameless); }).IsInvalid());
}

TEST_F(FakeClientTest, CreateWithGenerateName) {
  Json object = Round("x");
  object["metadata"].erase("name");
  object["metadata"]["generateName"] = "round-";
  Json a = client_.Create(kRounds, object);
  Json b = client_.Create(kRounds, object);
  std::string name = a["metadata"]["name"];
  EXPECT_EQ(name.rfind("round-", 0), 0u);
  EXPECT_EQ(name.size(), 11u);
  EXPECT_NE(a["metadata"]["name"], b["metadata"]["name"]);
}

TEST_F(FakeClientTest, GetMissingIsNotFound) {
  ApiError e = CatchApiError([&] { client_.Get(kRounds, {"team", "nope"}); });
  EXPECT_TRUE(e.IsNotFound());
  EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
}

TEST_F(FakeClientTest, CreateDropsStatusOnlyWithStatusSubresource) {
  Json with_status = Round("a");
  with_status["status"] = {{"phase", "Running"}};
  EXPECT_FALSE(client_.Create(kRounds, with_status).contains("status"));
  Json secret = {{"metadata", {{"name", "s"}, {"namespace", "team"}}}, {"status", 1}};
  EXPECT_TRUE(client_.Create(kSecrets, secret).contains("status"));
}

TEST_F(FakeClientTest, UpdateWithStaleVersionConflicts) {
  Json a = client_.Create(kRounds, Round("a"));
  Json first = a;
  first["spec"]["rounds"] = 4;
  Json updated = client_.Update(kRounds, first);
  EXPECT_NE(Rv(updated), Rv(a));

  Json stale = a;
  stale["spec"]["rounds"] = 5;
  ApiError e = CatchApiError([&] { client_.Update(kRounds, stale); });
  EXPECT_TRUE(e.IsConflict());
  EXPECT_EQ(e.code(), 409);
  EXPECT_EQ(client_.Get(kRounds, {"team", "a"})["spec"]["rounds"], 4);

  // Without a resourceVersion the update is unconditional.
  stale["metadata"].erase("resourceVersion");
  EXPECT_EQ(client_.Update(kRounds, stale)["spec"]["rounds"], 5);
}

TEST_F(FakeClientTest, UpdateMissingIsNotFound) {
  EXPECT_TRUE(CatchApiError([&] { client_.Update(kRounds, Round("a")); }).IsNotFound());
}

TEST_F(FakeClientTest, GenerationBumpsOnlyForSpecChanges) {
  Json a = client_.Create(kRounds, Round("a"));
  a["metadata"]["labels"] = {{"tier", "gold"}};
  a = client_.Update(kRounds, a);
  EXPECT_EQ(Generation(a), 1) << "metadata changes keep the generation";

  a["status"] = {{"phase", "Running"}};
  a = client_.UpdateStatus(kRounds, a);
  EXPECT_EQ(Generation(a), 1) << "status changes keep the generation";

  a["spec"]["rounds"] = 7;
  a = client_.Update(kRounds, a);
  EXPECT_EQ(Generation(a), 2);

  a["extra"] = "top-level field";
  a = client_.Update(kRounds, a);
  EXPECT_EQ(Generation(a), 3);

  // A client can't set generation itself.
  a["metadata"]["generation"] = 42;
  a["metadata"]["uid"] = client_.Get(kRounds, {"team", "a"})["metadata"]["uid"];
  EXPECT_EQ(Generation(client_.Update(kRounds, a)), 3);
}

TEST_F(FakeClientTest, NoOpUpdateKeepsVersionAndEmitsNothing) {
  Json a = client_.Create(kRounds, Round("a"));
  Json same = client_.Update(kRounds, a);
  EXPECT_EQ(Rv(same), Rv(a));
  a["metadata"]["finalizers"] = Json::array();  // the server omits empty lists
  EXPECT_EQ(Rv(client_.Update(kRounds, a)), Rv(same));
}

TEST_F(FakeClientTest, UpdateIgnoresStatusAndServerFields) {
  Json a = client_.Create(kRounds, Round("a"));
  a["status"] = {{"phase", "Done"}};
  a["metadata"]["creationTimestamp"] = "1999-01-01T00:00:00Z";
  a["metadata"]["deletionTimestamp"] = "1999-01-01T00:00:00Z";
  Json out = client_.Update(kRounds, a);
  EXPECT_FALSE(out.contains("status"));
  EXPECT_EQ(out["metadata"]["creationTimestamp"], "2027-01-15T08:00:00Z");
  EXPECT_FALSE(out["metadata"].contains("deletionTimestamp"));
}

TEST_F(FakeClientTest, UpdateStatusChangesOnlyStatus) {
  Json a = client_.Create(kRounds, Round("a"));
  Json change = a;
  change["spec"]["rounds"] = 9;
  change["metadata"]["labels"] = {{"x", "y"}};
  change["status"] = {{"phase", "Running"}};
  Json out = client_.UpdateStatus(kRounds, change);
  EXPECT_EQ(out["status"]["phase"], "Running");
  EXPECT_EQ(out["spec"]["rounds"], 3);
  EXPECT_FALSE(out["metadata"].contains("labels"));
  EXPECT_NE(Rv(out), Rv(a));
  // The status subresource checks the version too.
  EXPECT_TRUE(CatchApiError([&] { client_.UpdateStatus(kRounds, change); }).IsConflict());
}

TEST_F(FakeClientTest, StatusCallsNeedARegisteredSubresource) {
  client_.Create(kSecrets, {{"metadata", {{"name", "s"}, {"namespace", "team"}}}});
  Json s = client_.Get(kSecrets, {"team", "s"});
  EXPECT_TRUE(CatchApiError([&] { client_.UpdateStatus(kSecrets, s); }).IsNotFound());
  EXPECT_TRUE(
      CatchApiError([&] {
        client_.Patch(kSecrets, {"team", "s"}, PatchType::kMerge, {{"status", 1}}, {}, "status");
      }).IsNotFound());
  // Jobs are built in and have one.
  client_.Create(resources::kJobs, {{"metadata", {{"name", "j"}, {"namespace", "team"}}}});
  Json job = client_.Get(resources::kJobs, {"team", "j"});
  job["status"] = {{"succeeded", 1}};
  EXPECT_EQ(client_.UpdateStatus(resources::kJobs, job)["status"]["succeeded"], 1);
}

TEST_F(FakeClientTest, MergePatch) {
  Json a = client_.Create(kRounds, Round("a"));
  Json out = client_.Patch(kRounds, {"team", "a"}, PatchType::kMerge,
                           {{"spec", {{"rounds", 5}, {"target", 0.9}}},
                            {"metadata", {{"labels", {{"k", "v"}}}}},
                            {"status", {{"phase", "Ignored"}}}});
  EXPECT_EQ(out["spec"]["rounds"], 5);
  EXPECT_EQ(out["spec"]["target"], 0.9);
  EXPECT_EQ(out["metadata"]["labels"]["k"], "v");
  EXPECT_FALSE(out.contains("status"));
  EXPECT_EQ(Generation(out), 2);
  // null removes a field.
  out = client_.Patch(kRounds, {"team", "a"}, PatchType::kMerge, {{"spec", {{"target", nullptr}}}});
  EXPECT_FALSE(out["spec"].contains("target"));
}

TEST_F(FakeClientTest, MergePatchWithStaleVersionConflicts) {
  Json a = client_.Create(kRounds, Round("a"));
  client_.Patch(kRounds, {"team", "a"}, PatchType::kMerge, {{"spec", {{"rounds", 1}}}});
  Json patch = {{"metadata", {{"resourceVersion", Rv(a)}}}, {"spec", {{"rounds", 2}}}};
  EXPECT_TRUE(CatchApiError([&] {
                client_.Patch(kRounds, {"team", "a"}, PatchType::kMerge, patch);
              }).IsConflict());
}

TEST_F(FakeClientTest, JsonPatch) {
  client_.Create(kRounds, Round("a"));
  Json ops = Json::array(
      {{{"op", "replace"}, {"path", "/spec/rounds"}, {"value", 8}},
       {{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", {"fedcrm.io/cleanup"}}}});
  Json out = client_.Patch(kRounds, {"team", "a"}, PatchType::kJsonPatch, ops);
  EXPECT_EQ(out["spec"]["rounds"], 8);
  EXPECT_EQ(out["metadata"]["finalizers"][0], "fedcrm.io/cleanup");
  // A failing test op is rejected and changes nothing.
  Json test = Json::array({{{"op", "test"}, {"path", "/spec/rounds"}, {"value", 1}},
                           {{"op", "replace"}, {"path", "/spec/rounds"}, {"value", 2}}});
  EXPECT_TRUE(CatchApiError([&] {
                client_.Patch(kRounds, {"team", "a"}, PatchType::kJsonPatch, test);
              }).IsInvalid());
  EXPECT_EQ(client_.Get(kRounds, {"team", "a"})["spec"]["rounds"], 8);
}

TEST_F(FakeClientTest, StatusPatchChangesOnlyStatus) {
  client_.Create(kRounds, Round("a"));
  Json out =
      client_.Patch(kRounds, {"team", "a"}, PatchType::kMerge,
                    {{"spec", {{"rounds", 99}}}, {"status", {{"phase", "Running"}}}}, {}, "status");
  EXPECT_EQ(out["status"]["phase"], "Running");
  EXPECT_EQ(out["spec"]["rounds"], 3);
  EXPECT_EQ(Generation(out), 1);
  EXPECT_TRUE(
      CatchApiError([&] {
        client_.Patch(kRounds, {"team", "a"}, PatchType::kMerge, Json::object(), {}, "scale");
      }).IsNotFound());
}

TEST_F(FakeClientTest, ApplyCreatesThenMerges) {
  PatchOptions apply{.field_manager = "fedcrm-operator", .force = true};
  Json desired = Round("a");
  Json created = client_.Patch(kRounds, {"team", "a"}, PatchType::kApply, desired, apply);
  EXPECT_EQ(Generation(created), 1);
  EXPECT_EQ(created["spec"]["rounds"], 3);
  desired["spec"]["rounds"] = 6;
  Json applied = client_.Patch(kRounds, {"team", "a"}, PatchType::kApply, desired, apply);
  EXPECT_EQ(applied["spec"]["rounds"], 6);
  EXPECT_EQ(applied["metadata"]["uid"], created["metadata"]["uid"]);
  EXPECT_EQ(client_.Patch(kRounds, {"team", "a"}, PatchType::kApply, desired, apply), applied);
  // Apply needs a field manager.
  EXPECT_EQ(CatchApiError([&] {
              client_.Patch(kRounds, {"team", "a"}, PatchType::kApply, desired, {});
            }).code(),
            400);
  // Plain patches don't create.
  EXPECT_TRUE(CatchApiError([&] {
                client_.Patch(kRounds, {"team", "b"}, PatchType::kMerge, desired);
              }).IsNotFound());
}

TEST_F(FakeClientTest, DeleteWithoutFinalizersRemoves) {
  client_.Create(kRounds, Round("a"));
  client_.Delete(kRounds, {"team", "a"});
  EXPECT_TRUE(CatchApiError([&] { client_.Get(kRounds, {"team", "a"}); }).IsNotFound());
  EXPECT_TRUE(CatchApiError([&] { client_.Delete(kRounds, {"team", "a"}); }).IsNotFound());
}

TEST_F(FakeClientTest, DeleteWithFinalizersMarksThenRemovingFinalizerDeletes) {
  Json a = Round("a");
  a["metadata"]["finalizers"] = {"fedcrm.io/cleanup", "other/keep"};
  a = client_.Create(kRounds, a);

  client_.Delete(kRounds, {"team", "a"});
  Json marked = client_.Get(kRounds, {"team", "a"});
  ASSERT_TRUE(marked["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(marked["metadata"]["deletionTimestamp"], "2027-01-15T08:00:00Z");
  EXPECT_NE(Rv(marked), Rv(a));
  EXPECT_EQ(Generation(marked), 2) << "marking for deletion bumps generation";

  // Deleting again keeps the first timestamp and changes nothing.
  client_.SetNow([] { return std::chrono::system_clock::time_point(std::chrono::hours(1)); });
  client_.Delete(kRounds, {"team", "a"});
  Json again = client_.Get(kRounds, {"team", "a"});
  EXPECT_EQ(again, marked);

  // Status updates still work while the object is being deleted.
  again["status"] = {{"phase", "Deleting"}};
  again = client_.UpdateStatus(kRounds, again);

  // No new finalizers once deleting.
  Json add = again;
  add["metadata"]["finalizers"].push_back("new/one");
  EXPECT_TRUE(CatchApiError([&] { client_.Update(kRounds, add); }).IsInvalid());

  Json one_left = again;
  one_left["metadata"]["finalizers"] = {"other/keep"};
  one_left = client_.Update(kRounds, one_left);
  EXPECT_EQ(client_.Get(kRounds, {"team", "a"})["metadata"]["finalizers"].size(), 1u);

  one_left["metadata"].erase("finalizers");
  client_.Update(kRounds, one_left);
  EXPECT_TRUE(CatchApiError([&] { client_.Get(kRounds, {"team", "a"}); }).IsNotFound());
}

TEST_F(FakeClientTest, FinalizerRemovedByPatchDeletes) {
  Json a = Round("a");
  a["metadata"]["finalizers"] = {"fedcrm.io/cleanup"};
  client_.Create(kRounds, a);
  client_.Delete(kRounds, {"team", "a"});
  client_.Patch(kRounds, {"team", "a"}, PatchType::kMerge,
                {{"metadata", {{"finalizers", nullptr}}}});
  EXPECT_TRUE(CatchApiError([&] { client_.Get(kRounds, {"team", "a"}); }).IsNotFound());
}

TEST_F(FakeClientTest, DeleteChecksUidPrecondition) {
  client_.Create(kRounds, Round("a"));
  DeleteOptions options;
  options.precondition_uid = "not-the-uid";
  EXPECT_TRUE(CatchApiError([&] { client_.Delete(kRounds, {"team", "a"}, options); }).IsConflict());
  options.precondition_uid = client_.Get(kRounds, {"team", "a"})["metadata"]["uid"];
  EXPECT_NO_THROW(client_.Delete(kRounds, {"team", "a"}, options));
}

class FakeClientListTest : public FakeClientTest {
 protected:
  void SetUp() override {
    Add("a", "team", {{"app", "fl"}, {"env", "prod"}});
    Add("b", "team", {{"app", "fl"}, {"env", "dev"}});
    Add("c", "team", {{"app", "web"}});
    Add("d", "other", {{"app", "fl"}, {"env", "prod"}, {"legacy", "true"}});
    Add("e", "team", {});
  }
  void Add(const std::string& name, const std::string& ns, Json labels) {
    Json object = Round(name, ns);
    if (!labels.empty()) object["metadata"]["labels"] = labels;
    client_.Create(kRounds, object);
  }
  std::vector<std::string> Names(std::string_view ns, const std::string& selector) {
    std::vector<std::string> names;
    for (const Json& item : client_.List(kRounds, ns, Labels(selector)).items) {
      names.push_back(item["metadata"]["name"]);
    }
    return names;
  }
  using V = std::vector<std::string>;
};

TEST_F(FakeClientListTest, NamespaceScope) {
  EXPECT_EQ(Names("team", ""), (V{"a", "b", "c", "e"}));
  EXPECT_EQ(Names("", ""), (V{"d", "a", "b", "c", "e"}));  // namespace/name order
  EXPECT_TRUE(Names("nobody", "").empty());
}

TEST_F(FakeClientListTest, LabelSelectorOperators) {
  EXPECT_EQ(Names("", "app=fl"), (V{"d", "a", "b"}));
  EXPECT_EQ(Names("", "app==fl,env=prod"), (V{"d", "a"}));
  EXPECT_EQ(Names("team", "app!=fl"), (V{"c", "e"}));  // != matches a missing label
  EXPECT_EQ(Names("", "env"), (V{"d", "a", "b"}));
  EXPECT_EQ(Names("", "!env"), (V{"c", "e"}));
  EXPECT_EQ(Names("", "env in (dev, staging)"), (V{"b"}));
  EXPECT_EQ(Names("", "env notin (dev)"), (V{"d", "a", "c", "e"}));
  EXPECT_EQ(Names("", " app = fl , env in (prod,dev), !legacy "), (V{"a", "b"}));
  EXPECT_EQ(Names("", "app in(web)"), (V{"c"}));
}

TEST_F(FakeClientListTest, FormattedSelectorRoundTrips) {
  LabelSelector selector;
  selector.match_labels = {{"app", "fl"}};
  selector.match_expressions = {{"env", LabelSelectorRequirement::Operator::kIn, {"prod", "dev"}},
                                {"legacy", LabelSelectorRequirement::Operator::kDoesNotExist, {}}};
  EXPECT_EQ(Names("", FormatLabelSelector(selector)), (V{"a", "b"}));
}

TEST_F(FakeClientListTest, BadSelectorIsBadRequest) {
  for (const char* bad : {"env in dev", "env in ()", "=x", "a b", "app=(x)", "k notin"}) {
    ApiError e = CatchApiError([&] { client_.List(kRounds, "", Labels(bad)); });
    EXPECT_EQ(e.code(), 400) << bad;
  }
}

TEST_F(FakeClientListTest, FieldSelector) {
  auto list = client_.List(kRounds, "", Fields("metadata.name=a"));
  ASSERT_EQ(list.items.size(), 1u);
  list = client_.List(kRounds, "", Fields("metadata.namespace!=team"));
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0]["metadata"]["name"], "d");
}

TEST_F(FakeClientListTest, Paging) {
  ListOptions options = Page(2, "", "app");
  ListResult first = client_.List(kRounds, "", options);
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0]["metadata"]["name"], "d");
  EXPECT_EQ(first.items[1]["metadata"]["name"], "a");
  ASSERT_FALSE(first.continue_token.empty());
  EXPECT_EQ(first.resource_version, client_.ResourceVersion());

  options.continue_token = first.continue_token;
  ListResult second = client_.List(kRounds, "", options);
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_EQ(second.items[0]["metadata"]["name"], "b");
  EXPECT_EQ(second.items[1]["metadata"]["name"], "c");
  EXPECT_TRUE(second.continue_token.empty()) << "no items left after c";

  ListResult all = client_.List(kRounds, "team", Page(4));
  EXPECT_EQ(all.items.size(), 4u);
  EXPECT_TRUE(all.continue_token.empty()) << "an exact fit has no next page";
}

TEST_F(FakeClientListTest, ListAllFollowsContinueTokens) {
  ListResult all = ListAll(client_, kRounds, "", Page(2));
  ASSERT_EQ(all.items.size(), 5u);
  EXPECT_EQ(all.items[4]["metadata"]["name"], "e");
  EXPECT_TRUE(all.continue_token.empty());
}

TEST_F(FakeClientListTest, ListAllAppliesEachToEveryItemAsItsPageArrives) {
  int seen = 0;
  ListResult all = ListAll(client_, kRounds, "", Page(2), [&](Json& item) {
    ++seen;
    item = {{"metadata", {{"name", item["metadata"]["name"]}}}, {"kept", seen}};
  });
  ASSERT_EQ(all.items.size(), 5u);
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(all.items[4], Json({{"metadata", {{"name", "e"}}}, {"kept", 5}}));
}

TEST_F(FakeClientListTest, PagingClusterScoped) {
  for (const char* name : {"n1", "n2", "n3"}) {
    client_.Create(resources::kNodes, {{"metadata", {{"name", name}}}});
  }
  ListResult page = client_.List(resources::kNodes, "", Page(2));
  ASSERT_EQ(page.items.size(), 2u);
  page = client_.List(resources::kNodes, "", Page(2, page.continue_token));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0]["metadata"]["name"], "n3");
}

TEST_F(FakeClientTest, InjectedErrorsFailTheNextCalls) {
  client_.Create(kRounds, Round("a"));
  client_.InjectError(FakeClient::Verb::kGet, kRounds,
                      ApiError(500, "InternalError", "etcd is sad", "get"), 2);
  EXPECT_EQ(CatchApiError([&] { client_.Get(kRounds, {"team", "a"}); }).code(), 500);
  EXPECT_EQ(CatchApiError([&] { client_.Get(kRounds, {"team", "a"}); }).code(), 500);
  EXPECT_NO_THROW(client_.Get(kRounds, {"team", "a"}));
  // Other verbs and resources are untouched.
  client_.InjectError(FakeClient::Verb::kCreate, kSecrets, ApiError(403, "Forbidden", "no", "c"));
  EXPECT_NO_THROW(client_.Create(kRounds, Round("b")));
  EXPECT_EQ(CatchApiError([&] {
              client_.Create(kSecrets, {{"metadata", {{"name", "s"}, {"namespace", "team"}}}});
            }).code(),
            403);
  EXPECT_NO_THROW(client_.Create(kSecrets, {{"metadata", {{"name", "s"}, {"namespace", "team"}}}}));
}

TEST_F(FakeClientTest, InjectedErrorBySubresource) {
  Json a = client_.Create(kRounds, Round("a"));
  client_.InjectError(FakeClient::Verb::kUpdate, kRounds,
                      ApiError(409, "Conflict", "injected", "update"), 1, "status");
  a["spec"]["rounds"] = 4;
  a = client_.Update(kRounds, a);  // not the status subresource
  a["status"] = {{"phase", "Running"}};
  EXPECT_TRUE(CatchApiError([&] { client_.UpdateStatus(kRounds, a); }).IsConflict());
  EXPECT_NO_THROW(client_.UpdateStatus(kRounds, a));
}

TEST_F(FakeClientTest, ActionsRecordEveryCall) {
  client_.Create(kRounds, Round("a"));
  Json a = client_.Get(kRounds, {"team", "a"});
  client_.List(kRounds, "team");
  a["status"] = {{"phase", "x"}};
  client_.UpdateStatus(kRounds, a);
  CatchApiError([&] { client_.Get(kRounds, {"team", "missing"}); });
  client_.Delete(kRounds, {"team", "a"});

  std::vector<FakeClient::Action> actions = client_.Actions();
  ASSERT_EQ(actions.size(), 6u);
  EXPECT_EQ(actions[0].verb, FakeClient::Verb::kCreate);
  EXPECT_EQ(actions[0].key, (ObjectKey{"team", "a"}));
  EXPECT_EQ(actions[0].gvr.resource, "federatedrounds");
  EXPECT_EQ(actions[2].verb, FakeClient::Verb::kList);
  EXPECT_EQ(actions[2].key.namespace_, "team");
  EXPECT_EQ(actions[3].verb, FakeClient::Verb::kUpdate);
  EXPECT_EQ(actions[3].subresource, "status");
  EXPECT_EQ(actions[4].key.name, "missing");  // failed calls are recorded too
  EXPECT_STREQ(VerbName(actions[5].verb), "delete");
  client_.ClearActions();
  EXPECT_TRUE(client_.Actions().empty());
}

TEST_F(FakeClientTest, AddObjectSeedsStatusWithoutActions) {
  Json seeded = Round("a");
  seeded["status"] = {{"phase", "Succeeded"}};
  Json out = client_.AddObject(kRounds, seeded);
  EXPECT_EQ(out["status"]["phase"], "Succeeded");
  EXPECT_EQ(Generation(out), 1);
  EXPECT_TRUE(client_.Actions().empty());
  EXPECT_EQ(client_.Get(kRounds, {"team", "a"}), out);
}

// --- Watch ---

std::vector<std::pair<WatchEvent::Type, std::string>> Collect(FakeClient& client,
                                                              WatchOptions options,
                                                              std::size_t count,
                                                              std::string_view ns = "team") {
  std::vector<std::pair<WatchEvent::Type, std::string>> seen;
  client.Watch(kRounds, ns, options, [&](const WatchEvent& event) {
    seen.emplace_back(event.type, event.object["metadata"]["name"].get<std::string>());
    return seen.size() < count;
  });
  return seen;
}

using Seen = std::vector<std::pair<WatchEvent::Type, std::string>>;
using T = WatchEvent::Type;

TEST_F(FakeClientTest, WatchReplaysAfterResourceVersion) {
  Json a = client_.Create(kRounds, Round("a"));
  Json b = client_.Create(kRounds, Round("b"));
  b["spec"]["rounds"] = 1;
  client_.Update(kRounds, b);
  client_.Create(kSecrets, {{"metadata", {{"name", "s"}, {"namespace", "team"}}}});
  client_.Create(kRounds, Round("x", "elsewhere"));
  client_.Delete(kRounds, {"team", "a"});

  Seen seen = Collect(client_, From(Rv(a)), 3);
  EXPECT_EQ(seen, (Seen{{T::kAdded, "b"}, {T::kModified, "b"}, {T::kDeleted, "a"}}));
}

TEST_F(FakeClientTest, WatchFromEmptyVersionSendsCurrentObjects) {
  client_.Create(kRounds, Round("a"));
  Json b = client_.Create(kRounds, Round("b"));
  client_.Delete(kRounds, {"team", "b"});
  EXPECT_EQ(Collect(client_, From(""), 1), (Seen{{T::kAdded, "a"}}));
}

TEST_F(FakeClientTest, WatchFiltersByLabelSelector) {
  Json a = Round("a");
  a["metadata"]["labels"] = {{"app", "fl"}};
  std::string start = client_.ResourceVersion();
  client_.Create(kRounds, Round("plain"));
  client_.Create(kRounds, a);
  EXPECT_EQ(Collect(client_, From(start, "app=fl"), 1), (Seen{{T::kAdded, "a"}}));
}

TEST_F(FakeClientTest, WatchBlocksForNewEvents) {
  const std::string start = client_.ResourceVersion();
  Seen seen;
  std::thread watcher([&] { seen = Collect(client_, From(start), 2); });
  while (client_.NumWatchers() == 0) std::this_thread::yield();
  client_.Create(kRounds, Round("a"));
  client_.Delete(kRounds, {"team", "a"});
  watcher.join();
  EXPECT_EQ(seen, (Seen{{T::kAdded, "a"}, {T::kDeleted, "a"}}));
  EXPECT_EQ(client_.NumWatchers(), 0);
}

TEST_F(FakeClientTest, WatchReturnsOnStopAndOnClose) {
  std::stop_source stop;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    client_.Watch(kRounds, "", From(client_.ResourceVersion(), "", stop.get_token()),
                  [](const WatchEvent&) { return true; });
    done = true;
  });
  while (client_.NumWatchers() == 0) std::this_thread::yield();
  stop.request_stop();
  watcher.join();
  EXPECT_TRUE(done);

  std::thread closed([&] {
    client_.Watch(kRounds, "", From(client_.ResourceVersion()),
                  [](const WatchEvent&) { return true; });
  });
  while (client_.NumWatchers() == 0) std::this_thread::yield();
  client_.CloseWatches();
  closed.join();
  EXPECT_EQ(client_.NumWatchers(), 0);
}

TEST_F(FakeClientTest, WatchEventLimitEndsTheStream) {
  const std::string start = client_.ResourceVersion();
  for (const char* name : {"a", "b", "c"}) client_.Create(kRounds, Round(name));
  client_.SetWatchEventLimit(2);
  EXPECT_EQ(Collect(client_, From(start), 100), (Seen{{T::kAdded, "a"}, {T::kAdded, "b"}}));
}

TEST_F(FakeClientTest, WatchFromCompactedVersionIsGone) {
  client_.Create(kRounds, Round("first"));
  const std::string start = client_.ResourceVersion();
  client_.Create(kRounds, Round("a"));
  client_.CompactWatchHistory();
  EXPECT_TRUE(CatchApiError([&] {
                client_.Watch(kRounds, "", From(start), [](const WatchEvent&) { return false; });
              }).IsGone());
  // From the current version it still works.
  const std::string now = client_.ResourceVersion();
  client_.Create(kRounds, Round("b"));
  EXPECT_EQ(Collect(client_, From(now), 1), (Seen{{T::kAdded, "b"}}));
}

TEST_F(FakeClientTest, WatchCallbackMayCallTheClient) {
  const std::string start = client_.ResourceVersion();
  client_.Create(kRounds, Round("a"));
  client_.Watch(kRounds, "team", From(start), [&](const WatchEvent& event) {
    Json copy = client_.Get(kRounds, {"team", event.object["metadata"]["name"]});
    copy["spec"]["rounds"] = 11;
    client_.Update(kRounds, copy);
    return false;
  });
  EXPECT_EQ(client_.Get(kRounds, {"team", "a"})["spec"]["rounds"], 11);
}

TEST_F(FakeClientTest, ConcurrentCreatesGetUniqueVersions) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string name = "r";
        name.append(std::to_string(t)).append("-").append(std::to_string(i));
        client_.Create(kRounds, Round(name));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ListResult all = client_.List(kRounds, "");
  ASSERT_EQ(all.items.size(), 200u);
  std::set<std::string> versions;
  for (const Json& item : all.items) versions.insert(Rv(item));
  EXPECT_EQ(versions.size(), 200u);
  EXPECT_EQ(all.resource_version, "200");
}

}  // namespace
}  // namespace fedcrm::kube
