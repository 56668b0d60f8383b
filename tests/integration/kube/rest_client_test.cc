// RestClient against a real kube-apiserver (tests/kube/start-clusters.sh):
// CRUD, paging, typed errors, patches, the status subresource, deletes,
// watches and authentication failures. Run through
// tests/kube/run-with-clusters.sh, which exports FEDCRM_KUBE_*; without those
// variables every test is skipped.
#include "kube/rest_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/common/yaml_json.h"
#include "kube/api_error.h"
#include "kube/resources.h"

namespace fedcrm::kube {
namespace {

using std::chrono::steady_clock;

const GroupVersionResource kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions"};
const GroupVersionResource kSilos{"fedcrm.io", "v1alpha1", "regionsilos"};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Polls `done` until it holds or a generous deadline passes; the API server
// answers in milliseconds, the deadline only bounds a broken test.
template <typename Predicate>
bool Eventually(Predicate done, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

Json ConfigMap(const std::string& ns, const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"suite", "kuberest"}}}}},
          {"data", {{"value", value}}}};
}

Json Silo(const std::string& ns, const std::string& name, double epsilon) {
  return {{"apiVersion", "fedcrm.io/v1alpha1"},
          {"kind", "RegionSilo"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"region", "eu-west-1"},
            {"jurisdiction", "GDPR"},
            {"data", {{"persistentVolumeClaim", {{"claimName", "crm"}}}, {"path", "a.csv"}}},
            {"worker", {{"image", "registry.example.com/fedcrm/worker:0.1.0"}}},
            {"privacyBudget", {{"epsilon", epsilon}, {"delta", 1e-5}}}}}};
}

// Expects `call` to throw ApiError and returns it.
template <typename Call>
std::optional<ApiError> ApiErrorOf(Call call) {
  try {
    call();
  } catch (const ApiError& e) {
    return e;
  }
  return std::nullopt;
}

class RestClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kubeconfig_ = Env("FEDCRM_KUBE_HUB_KUBECONFIG");
    if (kubeconfig_.empty()) return;
    client_ = std::make_unique<RestClient>(LoadKubeconfig(kubeconfig_));
    namespace_ = "kuberest-" + std::to_string(getpid());
    client_->Create(
        resources::kNamespaces,
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", namespace_}}}});
    InstallCrds();
  }

  static void TearDownTestSuite() {
    if (client_ != nullptr) {
      try {
        client_->Delete(resources::kNamespaces, {"", namespace_});
      } catch (const std::exception&) {
        // The clusters are thrown away after the run anyway.
      }
    }
    client_.reset();
  }

  // Server-side apply of crds/*.yaml, then wait for Established, as
  // `kubectl apply -f crds/ && kubectl wait` would.
  static void InstallCrds() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(FEDCRM_SOURCE_DIR "/crds")) {
      if (entry.path().extension() != ".yaml") continue;
      Json crd = ReadYamlFile(entry.path().string());
      std::string name = crd["metadata"]["name"];
      PatchOptions options{.field_manager = "fedcrm-kuberest-test", .force = true};
      client_->Patch(kCrds, {"", name}, PatchType::kApply, crd, options);
      names.push_back(name);
    }
    ASSERT_FALSE(names.empty());
    for (const std::string& name : names) {
      ASSERT_TRUE(Eventually([&] {
        Json crd = client_->Get(kCrds, {"", name});
        for (const Json& c : crd["status"].value("conditions", Json::array())) {
          if (c["type"] == "Established" && c["status"] == "True") return true;
        }
        return false;
      })) << name
          << " never became Established";
    }
  }

  void SetUp() override {
    if (client_ == nullptr) GTEST_SKIP() << "FEDCRM_KUBE_HUB_KUBECONFIG is not set";
  }

  static KubeConfig HubConfig() { return LoadKubeconfig(kubeconfig_); }

  static inline std::string kubeconfig_;
  static inline std::unique_ptr<RestClient> client_;
  static inline std::string namespace_;
};

TEST_F(RestClientTest, CreateGetUpdateAndTypedErrors) {
  RestClient& c = *client_;
  Json created = c.Create(resources::kConfigMaps, ConfigMap(namespace_, "crud", "one"));
  EXPECT_EQ(created["data"]["value"], "one");
  std::string first_rv = created["metadata"]["resourceVersion"];

  Json got = c.Get(resources::kConfigMaps, {namespace_, "crud"});
  EXPECT_EQ(got["metadata"]["uid"], created["metadata"]["uid"]);
  EXPECT_EQ(got["kind"], "ConfigMap");

  got["data"]["value"] = "two";
  Json updated = c.Update(resources::kConfigMaps, got);
  EXPECT_EQ(updated["data"]["value"], "two");
  EXPECT_NE(updated["metadata"]["resourceVersion"], first_rv);

  // The first version is stale now: optimistic concurrency refuses it.
  Json stale = created;
  stale["data"]["value"] = "three";
  auto conflict = ApiErrorOf([&] { c.Update(resources::kConfigMaps, stale); });
  ASSERT_TRUE(conflict);
  EXPECT_TRUE(conflict->IsConflict()) << conflict->what();
  EXPECT_EQ(conflict->code(), 409);
  EXPECT_NE(std::string(conflict->what()).find("update configmaps " + namespace_ + "/crud"),
            std::string::npos)
      << conflict->what();

  auto exists =
      ApiErrorOf([&] { c.Create(resources::kConfigMaps, ConfigMap(namespace_, "crud", "again")); });
  ASSERT_TRUE(exists);
  EXPECT_TRUE(exists->IsAlreadyExists()) << exists->what();
  EXPECT_FALSE(exists->IsConflict());

  auto missing = ApiErrorOf([&] { c.Get(resources::kConfigMaps, {namespace_, "no-such-map"}); });
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->IsNotFound());
  EXPECT_EQ(missing->reason(), "NotFound");
  EXPECT_NE(missing->status_message().find("no-such-map"), std::string::npos);
}

TEST_F(RestClientTest, ListPagesWithLimitAndContinue) {
  for (int i = 0; i < 5; ++i) {
    Json cm = ConfigMap(namespace_, "page-" + std::to_string(i), std::to_string(i));
    cm["metadata"]["labels"]["paged"] = "yes";
    client_->Create(resources::kConfigMaps, cm);
  }
  ListOptions options;
  options.label_selector = "paged=yes";
  options.limit = 2;
  ListResult first = client_->List(resources::kConfigMaps, namespace_, options);
  EXPECT_EQ(first.items.size(), 2u);
  EXPECT_FALSE(first.continue_token.empty());
  EXPECT_FALSE(first.resource_version.empty());
  // Built-in list items come without apiVersion/kind; the client adds them.
  EXPECT_EQ(first.items[0]["kind"], "ConfigMap");
  EXPECT_EQ(first.items[0]["apiVersion"], "v1");

  int pages = 1;
  ListOptions next = options;
  next.continue_token = first.continue_token;
  while (!next.continue_token.empty()) {
    ListResult page = client_->List(resources::kConfigMaps, namespace_, next);
    next.continue_token = page.continue_token;
    ++pages;
  }
  EXPECT_EQ(pages, 3);

  ListResult all = ListAll(*client_, resources::kConfigMaps, namespace_, options);
  ASSERT_EQ(all.items.size(), 5u);
  EXPECT_EQ(all.resource_version,
            ListAll(*client_, resources::kConfigMaps, namespace_, options).resource_version);
  EXPECT_TRUE(all.continue_token.empty());

  ListOptions by_name;
  by_name.field_selector = "metadata.name=page-3";
  ListResult one = client_->List(resources::kConfigMaps, namespace_, by_name);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0]["data"]["value"], "3");
}

TEST_F(RestClientTest, InvalidObjectsCarryTheApiMessage) {
  auto bad_name = ApiErrorOf(
      [&] { client_->Create(resources::kConfigMaps, ConfigMap(namespace_, "Bad_Name", "x")); });
  ASSERT_TRUE(bad_name);
  EXPECT_TRUE(bad_name->IsInvalid()) << bad_name->what();
  EXPECT_EQ(bad_name->reason(), "Invalid");
  EXPECT_NE(bad_name->status_message().find("metadata.name"), std::string::npos);

  // The CRD's schema refuses a negative budget with its own message.
  auto bad_silo = ApiErrorOf([&] { client_->Create(kSilos, Silo(namespace_, "negative", -1.0)); });
  ASSERT_TRUE(bad_silo);
  EXPECT_TRUE(bad_silo->IsInvalid()) << bad_silo->what();
  EXPECT_NE(bad_silo->status_message().find("epsilon"), std::string::npos)
      << bad_silo->status_message();
  EXPECT_NE(std::string(bad_silo->what()).find("create regionsilos.fedcrm.io " + namespace_),
            std::string::npos)
      << bad_silo->what();
}

TEST_F(RestClientTest, MergeJsonAndServerSideApplyPatches) {
  client_->Create(resources::kConfigMaps, ConfigMap(namespace_, "patched", "v0"));
  ObjectKey key{namespace_, "patched"};

  Json merged = client_->Patch(resources::kConfigMaps, key, PatchType::kMerge,
                               {{"data", {{"merged", "yes"}}}});
  EXPECT_EQ(merged["data"]["merged"], "yes");
  EXPECT_EQ(merged["data"]["value"], "v0");

  Json json_patch = Json::array({{{"op", "replace"}, {"path", "/data/value"}, {"value", "v1"}},
                                 {{"op", "remove"}, {"path", "/data/merged"}}});
  Json patched = client_->Patch(resources::kConfigMaps, key, PatchType::kJsonPatch, json_patch);
  EXPECT_EQ(patched["data"]["value"], "v1");
  EXPECT_FALSE(patched["data"].contains("merged"));

  // A JSON patch whose test fails is refused by the server.
  Json failing = Json::array({{{"op", "test"}, {"path", "/data/value"}, {"value", "nope"}}});
  EXPECT_TRUE(ApiErrorOf(
      [&] { client_->Patch(resources::kConfigMaps, key, PatchType::kJsonPatch, failing); }));

  Json intent = {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "patched"}, {"namespace", namespace_}}},
                 {"data", {{"applied", "by-a"}}}};
  Json applied = client_->Patch(resources::kConfigMaps, key, PatchType::kApply, intent,
                                {.field_manager = "manager-a", .force = false});
  EXPECT_EQ(applied["data"]["applied"], "by-a");
  bool managed = false;
  for (const Json& entry : applied["metadata"]["managedFields"]) {
    managed = managed || entry["manager"] == "manager-a";
  }
  EXPECT_TRUE(managed);

  // Another manager setting the same field conflicts unless it forces.
  intent["data"]["applied"] = "by-b";
  auto conflict = ApiErrorOf([&] {
    client_->Patch(resources::kConfigMaps, key, PatchType::kApply, intent,
                   {.field_manager = "manager-b", .force = false});
  });
  ASSERT_TRUE(conflict);
  EXPECT_TRUE(conflict->IsConflict()) << conflict->what();
  Json forced = client_->Patch(resources::kConfigMaps, key, PatchType::kApply, intent,
                               {.field_manager = "manager-b", .force = true});
  EXPECT_EQ(forced["data"]["applied"], "by-b");
}

TEST_F(RestClientTest, StatusSubresourceOnACustomResource) {
  Json silo = client_->Create(kSilos, Silo(namespace_, "eu-west", 3.0));
  EXPECT_FALSE(silo.contains("status") && silo["status"].contains("observedGeneration"));

  silo["status"] = {{"observedGeneration", 1}};
  Json with_status = client_->UpdateStatus(kSilos, silo);
  EXPECT_EQ(with_status["status"]["observedGeneration"], 1);

  // The main resource ignores status; the status subresource ignores spec.
  with_status["status"]["observedGeneration"] = 7;
  with_status["spec"]["jurisdiction"] = "CCPA";
  Json updated = client_->Update(kSilos, with_status);
  EXPECT_EQ(updated["status"]["observedGeneration"], 1);
  EXPECT_EQ(updated["spec"]["jurisdiction"], "CCPA");

  Json patched = client_->Patch(
      kSilos, {namespace_, "eu-west"}, PatchType::kMerge,
      {{"status", {{"observedGeneration", 2}}}, {"spec", {{"jurisdiction", "LGPD"}}}}, {},
      "status");
  EXPECT_EQ(patched["status"]["observedGeneration"], 2);
  EXPECT_EQ(patched["spec"]["jurisdiction"], "CCPA");
}

TEST_F(RestClientTest, DeleteWithPropagationAndPreconditions) {
  Json cm = client_->Create(resources::kConfigMaps, ConfigMap(namespace_, "doomed", "x"));
  auto wrong_uid = ApiErrorOf([&] {
    client_->Delete(resources::kConfigMaps, {namespace_, "doomed"},
                    {.propagation = PropagationPolicy::kDefault,
                     .precondition_uid = "00000000-0000-0000-0000-000000000000"});
  });
  ASSERT_TRUE(wrong_uid);
  EXPECT_TRUE(wrong_uid->IsConflict()) << wrong_uid->what();

  client_->Delete(resources::kConfigMaps, {namespace_, "doomed"},
                  {.propagation = PropagationPolicy::kBackground,
                   .precondition_uid = cm["metadata"]["uid"].get<std::string>()});
  auto gone = ApiErrorOf([&] { client_->Get(resources::kConfigMaps, {namespace_, "doomed"}); });
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->IsNotFound());
  auto again = ApiErrorOf([&] { client_->Delete(resources::kConfigMaps, {namespace_, "doomed"}); });
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->IsNotFound());
}

TEST_F(RestClientTest, WatchSeesAddedModifiedDeletedAndBookmarks) {
  const std::string ns = namespace_;
  ListOptions selected;
  selected.label_selector = "watched=yes";
  ListResult list = client_->List(resources::kConfigMaps, ns, selected);

  std::vector<WatchEvent> events;
  std::jthread watcher([&](std::stop_token stop) {
    WatchOptions options;
    options.resource_version = list.resource_version;
    options.label_selector = "watched=yes";
    options.timeout_seconds = 60;
    options.stop = stop;
    client_->Watch(resources::kConfigMaps, ns, options, [&](const WatchEvent& event) {
      events.push_back(event);
      return event.type != WatchEvent::Type::kDeleted;
    });
  });

  Json cm = ConfigMap(ns, "watched", "a");
  cm["metadata"]["labels"]["watched"] = "yes";
  client_->Create(resources::kConfigMaps, cm);
  client_->Patch(resources::kConfigMaps, {ns, "watched"}, PatchType::kMerge,
                 {{"data", {{"value", "b"}}}});
  client_->Delete(resources::kConfigMaps, {ns, "watched"});
  watcher.join();

  std::vector<WatchEvent::Type> types;
  for (const WatchEvent& e : events) {
    if (e.type == WatchEvent::Type::kBookmark) continue;
    types.push_back(e.type);
    EXPECT_EQ(e.object["metadata"]["name"], "watched");
  }
  EXPECT_EQ(types,
            (std::vector<WatchEvent::Type>{WatchEvent::Type::kAdded, WatchEvent::Type::kModified,
                                           WatchEvent::Type::kDeleted}));

  // Bookmarks come about once a minute and before the stream's timeout (not
  // reliably); a watch without a version gets one at once, after the
  // initial ADDED events.
  std::optional<WatchEvent> bookmark;
  WatchOptions fresh;
  fresh.timeout_seconds = 60;
  client_->Watch(resources::kConfigMaps, ns, fresh, [&](const WatchEvent& event) {
    if (event.type != WatchEvent::Type::kBookmark) return true;
    bookmark = event;
    return false;
  });
  ASSERT_TRUE(bookmark);
  EXPECT_FALSE(bookmark->object["metadata"]["resourceVersion"].get<std::string>().empty());
}

TEST_F(RestClientTest, WatchReturnsWhenTheHandlerDeclinesOrStopIsRequested) {
  client_->Create(resources::kConfigMaps, ConfigMap(namespace_, "first-event", "x"));
  int seen = 0;
  WatchOptions from_start;
  from_start.resource_version = "0";
  client_->Watch(resources::kConfigMaps, namespace_, from_start,
                 [&](const WatchEvent&) { return ++seen < 1; });
  EXPECT_EQ(seen, 1);

  // A quiet stream with a long server timeout: only the stop ends it.
  std::stop_source stop;
  std::atomic<bool> returned = false;
  std::thread watcher([&] {
    WatchOptions quiet;
    quiet.label_selector = "nothing=matches";
    quiet.timeout_seconds = 600;
    quiet.stop = stop.get_token();
    client_->Watch(resources::kConfigMaps, namespace_, quiet,
                   [](const WatchEvent& e) { return e.type == WatchEvent::Type::kBookmark; });
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(returned);
  stop.request_stop();
  watcher.join();
  EXPECT_TRUE(returned);
}

TEST_F(RestClientTest, AnonymousAndUntrustedClientsAreRefused) {
  KubeConfig anonymous = HubConfig();
  anonymous.client_cert_pem.clear();
  anonymous.client_key_pem.clear();
  RestClient anon(anonymous);
  auto forbidden = ApiErrorOf([&] { anon.Get(resources::kConfigMaps, {namespace_, "crud"}); });
  ASSERT_TRUE(forbidden);
  EXPECT_TRUE(forbidden->code() == 401 || forbidden->code() == 403) << forbidden->what();
  EXPECT_NE(forbidden->status_message().find("system:anonymous"), std::string::npos)
      << forbidden->what();

  // A certificate from a CA the server does not trust.
  std::string dir = ::testing::TempDir() + "kuberest-untrusted-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-subj /O=system:masters/CN=intruder -days 1 -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  KubeConfig untrusted = HubConfig();
  untrusted.client_cert_pem = ReadFile(dir + "/cert.pem");
  untrusted.client_key_pem = ReadFile(dir + "/key.pem");
  RestClient intruder(untrusted);
  try {
    intruder.Get(resources::kConfigMaps, {namespace_, "crud"});
    ADD_FAILURE() << "a self-signed client certificate was accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 401) << e.what();
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find(untrusted.server), std::string::npos) << e.what();
  }

  // A server certificate the client does not trust: TransportError naming it.
  KubeConfig wrong_ca = HubConfig();
  wrong_ca.ca_pem = untrusted.client_cert_pem;
  RestClient suspicious(wrong_ca);
  try {
    suspicious.Get(resources::kConfigMaps, {namespace_, "crud"});
    ADD_FAILURE() << "a server certificate from an untrusted CA was accepted";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find(wrong_ca.server), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("get configmaps"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST_F(RestClientTest, BearerTokenIsReadAgainForEveryRequest) {
  std::string kubectl = Env("FEDCRM_KUBECTL");
  if (kubectl.empty()) GTEST_SKIP() << "FEDCRM_KUBECTL is not set";
  client_->Create(resources::kServiceAccounts,
                  {{"apiVersion", "v1"},
                   {"kind", "ServiceAccount"},
                   {"metadata", {{"name", "robot"}, {"namespace", namespace_}}}});
  // The Client interface has no TokenRequest (a POST on a subresource).
  std::string command = kubectl + " --kubeconfig " + kubeconfig_ + " -n " + namespace_ +
                        " create token robot --duration 10m";
  std::string token;
  if (FILE* out = popen(command.c_str(), "r")) {
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof(buffer), out)) token.append(buffer, n);
    ASSERT_EQ(pclose(out), 0) << command;
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  ASSERT_FALSE(token.empty());

  std::string path = ::testing::TempDir() + "kuberest-token-" + std::to_string(getpid());
  std::ofstream(path) << "not-a-token";
  KubeConfig config = HubConfig();
  config.client_cert_pem.clear();  // x509 would win over the token
  config.client_key_pem.clear();
  config.token_file = std::make_shared<TokenFile>(path, "test token");
  RestClient robot(config);
  auto unauthorized = ApiErrorOf([&] { robot.Get(resources::kConfigMaps, {namespace_, "crud"}); });
  ASSERT_TRUE(unauthorized);
  EXPECT_EQ(unauthorized->code(), 401) << unauthorized->what();

  // The "kubelet" rotates the token file; the next request uses the new one.
  std::ofstream(path, std::ios::trunc) << token;
  auto forbidden = ApiErrorOf([&] { robot.Get(resources::kConfigMaps, {namespace_, "crud"}); });
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->code(), 403) << forbidden->what();
  EXPECT_NE(forbidden->status_message().find("system:serviceaccount:" + namespace_ + ":robot"),
            std::string::npos)
      << forbidden->what();
  std::filesystem::remove(path);
}

TEST_F(RestClientTest, UnreachableServerIsATransportError) {
  KubeConfig config = HubConfig();
  config.server = "https://127.0.0.1:1";
  RestClient nowhere(config, {.request_timeout = std::chrono::seconds(5), .user_agent = ""});
  try {
    nowhere.List(resources::kConfigMaps, namespace_);
    ADD_FAILURE() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("https://127.0.0.1:1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fedcrm::kube
