#include "kube/event_recorder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "kube/api_error.h"
#include "kube/fake_client.h"
#include "kube/resources.h"

namespace fedcrm::kube {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest()
      : now_(std::chrono::system_clock::time_point(seconds(1'796'000'523))),
        recorder_(client_, "fedcrm.io/operator", "operator-0", [this] { return now_; }) {
    round_ = {{"apiVersion", "fedcrm.io/v1alpha1"},
              {"kind", "FederatedRound"},
              {"metadata",
               {{"name", "round-1"},
                {"namespace", "team"},
                {"uid", "4f1c2b7e-0000-4000-8000-000000000001"},
                {"resourceVersion", "17"}}}};
  }

  std::vector<Json> Events(std::string_view ns = "") {
    return client_.List(resources::kEvents, ns).items;
  }

  FakeClient client_;
  std::chrono::system_clock::time_point now_;
  EventRecorder recorder_;
  Json round_;
};

TEST_F(EventRecorderTest, WritesAnEventsV1Event) {
  recorder_.Record(round_, "Warning", "BudgetExhausted", "Admit", "silo eu-1 has 0.1 left");
  std::vector<Json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  const Json& e = events[0];
  EXPECT_EQ(e["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(e["kind"], "Event");
  EXPECT_EQ(e["metadata"]["namespace"], "team");
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("round-1.", 0), 0u);
  EXPECT_EQ(e["eventTime"], "2026-11-30T01:02:03.000000Z");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reason"], "BudgetExhausted");
  EXPECT_EQ(e["action"], "Admit");
  EXPECT_EQ(e["note"], "silo eu-1 has 0.1 left");
  EXPECT_EQ(e["reportingController"], "fedcrm.io/operator");
  EXPECT_EQ(e["reportingInstance"], "operator-0");
  EXPECT_FALSE(e.contains("series"));
  const Json expected_regarding = {{"apiVersion", "fedcrm.io/v1alpha1"},
                                   {"kind", "FederatedRound"},
                                   {"name", "round-1"},
                                   {"namespace", "team"},
                                   {"uid", "4f1c2b7e-0000-4000-8000-000000000001"},
                                   {"resourceVersion", "17"}};
  EXPECT_EQ(e["regarding"], expected_regarding);
  EXPECT_EQ(recorder_.ErrorCount(), 0);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGoToDefault) {
  Json node = {
      {"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}, {"uid", "u"}}}};
  recorder_.Record(node, "Normal", "RegionVerified", "Verify", "eu-west-1");
  std::vector<Json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["metadata"]["namespace"], "default");
  EXPECT_FALSE(events[0]["regarding"].contains("namespace"));
}

TEST_F(EventRecorderTest, TruncatesLongNotesOnCharacterBoundaries) {
  std::string note(1023, 'x');
  note += "\xc3\xa9\xc3\xa9";  // "éé": the first é straddles byte 1024
  recorder_.Record(round_, "Normal", "Started", "Start", note);
  std::string written = Events().at(0)["note"];
  EXPECT_EQ(written, std::string(1023, 'x'));
  recorder_.Record(round_, "Normal", "Long", "Start", std::string(5000, 'y'));
  EXPECT_EQ(Events().size(), 2u);
  for (const Json& e : Events()) EXPECT_LE(e["note"].get<std::string>().size(), 1024u);
}

TEST_F(EventRecorderTest, RepeatsWithinSixMinutesFormASeries) {
  recorder_.Record(round_, "Warning", "BudgetExhausted", "Admit", "no budget");
  now_ += minutes(2);
  recorder_.Record(round_, "Warning", "BudgetExhausted", "Admit", "no budget");
  now_ += minutes(5);  // within six minutes of the last sighting
  recorder_.Record(round_, "Warning", "BudgetExhausted", "Admit", "no budget");
  std::vector<Json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["series"]["count"], 3);
  EXPECT_EQ(events[0]["series"]["lastObservedTime"], "2026-11-30T01:09:03.000000Z");
  EXPECT_EQ(events[0]["eventTime"], "2026-11-30T01:02:03.000000Z");
}

TEST_F(EventRecorderTest, DifferentNoteReasonOrObjectIsANewEvent) {
  recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos");
  recorder_.Record(round_, "Normal", "Admitted", "Admit", "4 silos");
  recorder_.Record(round_, "Normal", "Started", "Admit", "3 silos");
  Json other = round_;
  other["metadata"]["uid"] = "another-uid";
  recorder_.Record(other, "Normal", "Admitted", "Admit", "3 silos");
  EXPECT_EQ(Events().size(), 4u);
}

TEST_F(EventRecorderTest, RepeatAfterTheWindowStartsANewEvent) {
  recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos");
  now_ += minutes(7);
  recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos");
  std::vector<Json> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0]["metadata"]["name"], events[1]["metadata"]["name"]);
  for (const Json& e : events) EXPECT_FALSE(e.contains("series"));
}

TEST_F(EventRecorderTest, SeriesRestartsWhenTheEventIsGone) {
  recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos");
  std::string name = Events().at(0)["metadata"]["name"];
  client_.Delete(resources::kEvents, {"team", name});  // expired by the server's TTL
  recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos");
  std::vector<Json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].contains("series"));
  EXPECT_EQ(recorder_.ErrorCount(), 0);
}

TEST_F(EventRecorderTest, ApiErrorsAreSwallowedAndCounted) {
  std::vector<std::string> sunk;
  recorder_.SetErrorSink([&](const std::string& message) { sunk.push_back(message); });
  client_.InjectError(FakeClient::Verb::kCreate, resources::kEvents,
                      ApiError(403, "Forbidden", "events is forbidden", "create events"));
  EXPECT_NO_THROW(recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos"));
  EXPECT_EQ(recorder_.ErrorCount(), 1);
  EXPECT_NE(recorder_.LastError().find("Forbidden"), std::string::npos);
  ASSERT_EQ(sunk.size(), 1u);
  EXPECT_TRUE(Events().empty());

  // A later call works, and a failing series patch is swallowed too.
  recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos");
  client_.InjectError(FakeClient::Verb::kPatch, resources::kEvents,
                      ApiError(500, "InternalError", "boom", "patch events"));
  EXPECT_NO_THROW(recorder_.Record(round_, "Normal", "Admitted", "Admit", "3 silos"));
  EXPECT_EQ(recorder_.ErrorCount(), 2);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(EventRecorderTest, BadInputIsCountedNotThrown) {
  EXPECT_NO_THROW(recorder_.Record(round_, "Error", "Admitted", "Admit", "x"));
  EXPECT_NO_THROW(recorder_.Record(round_, "Normal", "not camel", "Admit", "x"));
  EXPECT_NO_THROW(recorder_.Record(round_, "Normal", "Admitted", "", "x"));
  EXPECT_NO_THROW(recorder_.Record(Json("not an object"), "Normal", "Admitted", "Admit", "x"));
  Json nameless = round_;
  nameless["metadata"].erase("name");
  EXPECT_NO_THROW(recorder_.Record(nameless, "Normal", "Admitted", "Admit", "x"));
  EXPECT_EQ(recorder_.ErrorCount(), 5);
  EXPECT_TRUE(Events().empty());
}

TEST_F(EventRecorderTest, ThrowingSinkDoesNotEscape) {
  recorder_.SetErrorSink([](const std::string&) { throw std::runtime_error("log broke"); });
  EXPECT_NO_THROW(recorder_.Record(round_, "Bad", "Admitted", "Admit", "x"));
  EXPECT_EQ(recorder_.ErrorCount(), 1);
}

TEST_F(EventRecorderTest, NamesAreUniqueWithAFrozenClock) {
  for (int i = 0; i < 5; ++i) {
    recorder_.Record(round_, "Normal", "Step", "Run", "step " + std::to_string(i));
  }
  EXPECT_EQ(Events().size(), 5u);
  EXPECT_EQ(recorder_.ErrorCount(), 0);
}

TEST(EventRecorderConfigTest, NeedsControllerAndInstance) {
  FakeClient client;
  EXPECT_THROW(EventRecorder(client, "", "i"), ConfigError);
  EXPECT_THROW(EventRecorder(client, "c", ""), ConfigError);
}

}  // namespace
}  // namespace fedcrm::kube
