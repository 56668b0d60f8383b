#include "kube/informer.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "kube/resources.h"
#include "tests/unit/kube/scripted_client.h"

namespace fedcrm::kube {
namespace {

using testing::Event;
using testing::Eventually;
using testing::Gone;
using testing::Object;
using testing::ScriptedClient;
using Type = WatchEvent::Type;

ListResult Listed(std::vector<Json> items, std::string version) {
  return ListResult{std::move(items), std::move(version), ""};
}

std::string Describe(const Json& o) {
  return o["metadata"].value("name", "") + "@" + o["metadata"].value("resourceVersion", "");
}

struct Recorder {
  std::mutex mu;
  std::vector<std::string> log;

  InformerHandlers Handlers() {
    return InformerHandlers{
        .on_add = [this](const Json& o) { Add("add " + Describe(o)); },
        .on_update = [this](const Json& a,
                            const Json& b) { Add("update " + Describe(a) + "->" + Describe(b)); },
        .on_delete = [this](const Json& o) { Add("delete " + Describe(o)); }};
  }
  void Add(std::string line) {
    std::lock_guard lock(mu);
    log.push_back(std::move(line));
  }
  std::vector<std::string> Log() {
    std::lock_guard lock(mu);
    return log;
  }
};

std::vector<std::string> Names(const std::vector<Json>& objects) {
  std::vector<std::string> names;
  for (const Json& o : objects) names.push_back(Describe(o));
  return names;
}

TEST(InformerTest, CachesTheListAndFollowsEvents) {
  ScriptedClient client;
  client.AddList(Listed({Object("a", "1"), Object("b", "2")}, "10"));
  client.AddStream({Event(Type::kModified, Object("a", "11")),
                    Event(Type::kAdded, Object("c", "12")),
                    Event(Type::kDeleted, Object("b", "13"))});
  Recorder recorder;
  Informer informer(client, resources::kConfigMaps, "ns");
  informer.AddHandlers(recorder.Handlers());
  EXPECT_FALSE(informer.HasSynced());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(std::chrono::seconds(20)));
  ASSERT_TRUE(Eventually([&] { return client.idle(); }));

  EXPECT_EQ(recorder.Log(), (std::vector<std::string>{"add a@1", "add b@2", "update a@1->a@11",
                                                      "add c@12", "delete b@13"}));
  EXPECT_EQ(Names(informer.List()), (std::vector<std::string>{"a@11", "c@12"}));
  ASSERT_TRUE(informer.Get({"ns", "c"}));
  EXPECT_EQ(Describe(*informer.Get({"ns", "c"})), "c@12");
  EXPECT_FALSE(informer.Get({"ns", "b"}));
  informer.Stop();
  informer.Stop();  // idempotent
}

TEST(InformerTest, CachesObjectsWithoutManagedFields) {
  ScriptedClient client;
  Json listed = Object("a", "1");
  listed["metadata"]["managedFields"] = Json::array({{{"manager", "kubectl"}}});
  Json changed = Object("a", "2");
  changed["metadata"]["managedFields"] = Json::array({{{"manager", "fedcrm"}}});
  client.AddList(Listed({listed}, "10"));
  client.AddStream({Event(Type::kModified, changed)});
  Informer informer(client, resources::kConfigMaps, "ns");
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(std::chrono::seconds(20)));
  ASSERT_TRUE(Eventually([&] { return client.idle(); }));
  const auto cached = informer.Get({"ns", "a"});
  ASSERT_TRUE(cached);
  EXPECT_EQ(Describe(*cached), "a@2");
  EXPECT_FALSE(cached->at("metadata").contains("managedFields"));

  InformerOptions keep;
  keep.strip_managed_fields = false;
  keep.transform = [](Json& object) { object["data"] = {{"kept", "only this"}}; };
  ScriptedClient again;
  again.AddList(Listed({listed}, "10"));
  Informer keeping(again, resources::kConfigMaps, "ns", keep);
  keeping.Start();
  ASSERT_TRUE(keeping.WaitForSync(std::chrono::seconds(20)));
  EXPECT_TRUE(keeping.Get({"ns", "a"})->at("metadata").contains("managedFields"));
  EXPECT_EQ(keeping.Get({"ns", "a"})->at("data"), Json({{"kept", "only this"}}));
}

TEST(InformerTest, ARelistDeliversTheDifference) {
  ScriptedClient client;
  client.AddList(Listed({Object("a", "1"), Object("b", "2"), Object("c", "3")}, "10"));
  // While the watch was down, b changed, c went away and d appeared.
  client.AddList(Listed({Object("a", "1"), Object("b", "20"), Object("d", "21")}, "30"));
  client.AddStream({Gone()});
  Recorder recorder;
  InformerOptions options;
  options.watch.backoff.initial = std::chrono::milliseconds(1);
  options.watch.backoff.cap = std::chrono::milliseconds(1);
  Informer informer(client, resources::kConfigMaps, "ns", options);
  informer.AddHandlers(recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return client.idle(); }));
  informer.Stop();

  EXPECT_EQ(recorder.Log(),
            (std::vector<std::string>{"add a@1", "add b@2", "add c@3", "update b@2->b@20",
                                      "add d@21", "delete c@3"}));
  EXPECT_EQ(Names(informer.List()), (std::vector<std::string>{"a@1", "b@20", "d@21"}));
  EXPECT_EQ(client.watch_versions(), (std::vector<std::string>{"10", "30"}));
}

TEST(InformerTest, ResyncRedeliversEveryObjectAsAnUpdate) {
  ScriptedClient client;
  client.AddList(Listed({Object("a", "1"), Object("b", "2")}, "10"));
  FakeClock clock;
  InformerOptions options;
  options.watch.clock = &clock;
  options.resync_period = std::chrono::minutes(5);
  Recorder recorder;
  Informer informer(client, resources::kConfigMaps, "ns", options);
  informer.AddHandlers(recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return client.idle() && clock.NumWaiters() == 1; }));
  EXPECT_EQ(recorder.Log().size(), 2u);

  clock.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(Eventually([&] { return recorder.Log().size() == 4; }));
  EXPECT_EQ(recorder.Log()[2], "update a@1->a@1");
  EXPECT_EQ(recorder.Log()[3], "update b@2->b@2");
  informer.Stop();
}

TEST(InformerTest, AFailingHandlerDoesNotStopTheOthers) {
  ScriptedClient client;
  client.AddList(Listed({Object("a", "1")}, "10"));
  client.AddStream({Event(Type::kAdded, Object("b", "11"))});
  Recorder recorder;
  Informer informer(client, resources::kConfigMaps, "ns");
  informer.AddHandlers({.on_add = [](const Json&) { throw std::runtime_error("boom"); },
                        .on_update = nullptr,
                        .on_delete = nullptr});
  informer.AddHandlers(recorder.Handlers());
  informer.Start();
  ASSERT_TRUE(Eventually([&] { return client.idle(); }));
  EXPECT_EQ(recorder.Log(), (std::vector<std::string>{"add a@1", "add b@11"}));
}

TEST(InformerTest, StopsWithTheCallersStopToken) {
  ScriptedClient client;
  client.AddList(Listed({}, "10"));
  std::stop_source stop;
  Informer informer(client, resources::kConfigMaps, "ns");
  informer.Start(stop.get_token());
  ASSERT_TRUE(Eventually([&] { return client.idle(); }));
  stop.request_stop();
  ASSERT_TRUE(Eventually([&] { return !client.idle(); }));
  EXPECT_TRUE(informer.HasSynced());
}

TEST(InformerTest, KeyOfReadsNamespaceAndName) {
  EXPECT_EQ(KeyOf(Object("x", "1")), (ObjectKey{"ns", "x"}));
  EXPECT_EQ(KeyOf(Json{{"metadata", {{"name", "node-1"}}}}), (ObjectKey{"", "node-1"}));
  EXPECT_EQ(KeyOf(Json::object()), (ObjectKey{"", ""}));
}

TEST(StoreTest, KeepsObjectsAsTheyWereAndReturnsWhatItReplaced) {
  Store store;
  const Json a1 = Object("a", "1");
  Json b1 = Object("b", "1");
  b1["status"] = {{"ledger", {{"epsilonSpent", 0.25}}}, {"list", {1, 2, 3}}};
  EXPECT_FALSE(store.Upsert(a1).has_value());
  EXPECT_FALSE(store.Upsert(b1).has_value());
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.Get({"ns", "b"}), b1);  // parsed back exactly, numbers included

  const Json a2 = Object("a", "2");
  EXPECT_EQ(store.Upsert(a2), a1);
  EXPECT_EQ(Names(store.List()), (std::vector<std::string>{"a@2", "b@1"}));

  const std::map<ObjectKey, Json> previous = store.Replace({{KeyOf(b1), Object("b", "3")}});
  EXPECT_EQ(previous.size(), 2u);
  EXPECT_EQ(previous.at({"ns", "a"}), a2);
  EXPECT_EQ(store.Keys(), (std::vector<ObjectKey>{{"ns", "b"}}));
  EXPECT_EQ(store.Remove({"ns", "b"}), Object("b", "3"));
  EXPECT_FALSE(store.Remove({"ns", "b"}).has_value());
  EXPECT_FALSE(store.Get({"ns", "a"}).has_value());
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace fedcrm::kube
