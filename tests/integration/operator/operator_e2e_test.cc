// fedcrm-operator end to end against real API servers: a hub and two
// regional kube-apiservers (tests/kube/start-clusters.sh, via
// run-with-clusters.sh), a real fedcrm-aggregator over mutual TLS, and
// fedcrm-job-runner standing in for the kubelet: it runs fedcrm-worker for
// every worker Job the operator creates in a regional cluster.
//
// Silos: eu in region-a; us and ap in region-b (separate node pools);
// "bad" in region-a, whose nodes carry another region's label, so it must
// never be scheduled. All processes are children of this test.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "cli/support/child_process.h"
#include "core/common/yaml_json.h"
#include "core/privacy/rdp_conversion.h"
#include "kube/api_error.h"
#include "kube/kube_config.h"
#include "kube/resources.h"
#include "kube/rest_client.h"
#include "operator/fedcrm_resources.h"
#include "operator/federation_ca.h"
#include "operator/privacy_ledger.h"
#include "runtime/certificates.h"
#include "runtime/https_client.h"

namespace fedcrm::op {
namespace {

namespace fs = std::filesystem;
using kube::Json;
using namespace std::chrono_literals;

const char* const kHubNamespace = "fedcrm";
const char* const kSiloNamespace = "fedcrm-silo";
const char* const kBin = FEDCRM_BIN_DIR;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr)
    throw std::runtime_error(std::string(name) +
                             " is not set: run me through tests/kube/run-with-clusters.sh");
  return value;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Polls `done` every 250 ms until it returns true or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (done()) return true;
    } catch (const kube::ApiError&) {
    }
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

std::shared_ptr<kube::RestClient> ClientFor(const std::string& kubeconfig) {
  return std::make_shared<kube::RestClient>(kube::LoadKubeconfig(kubeconfig));
}

void CreateOrReplace(kube::Client& client, const kube::GroupVersionResource& gvr, Json object) {
  try {
    client.Create(gvr, object);
  } catch (const kube::ApiError& e) {
    if (!e.IsAlreadyExists()) throw;
    const std::string ns = object["metadata"].value("namespace", "");
    const Json current = client.Get(gvr, {ns, object["metadata"]["name"]});
    object["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"];
    client.Update(gvr, object);
  }
}

bool Contains(const Json& list, const std::string& value) {
  for (const Json& item : list) {
    if (item == value) return true;
  }
  return false;
}

Json Namespace(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

Json Node(const std::string& name, const std::map<std::string, std::string>& labels) {
  return {
      {"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}, {"labels", labels}}}};
}

// The whole federation, started once for the suite (starting it costs more
// than any one test).
class Federation {
 public:
  Federation()
      : dir_(fs::temp_directory_path() / ("fedcrm-operator-e2e-" + std::to_string(getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    hub_kubeconfig_ = Env("FEDCRM_KUBE_HUB_KUBECONFIG");
    regional_kubeconfig_ = {{"region-a", Env("FEDCRM_KUBE_REGION_A_KUBECONFIG")},
                            {"region-b", Env("FEDCRM_KUBE_REGION_B_KUBECONFIG")}};
    hub = ClientFor(hub_kubeconfig_);
    for (const auto& [name, path] : regional_kubeconfig_) regional[name] = ClientFor(path);
    InstallCrds();
    PrepareClusters();
    MakePki();
    MakeData();
    StartAggregator();
    StartJobRunner({});
  }

  ~Federation() {
    operators.clear();
    if (job_runner_) job_runner_->Stop(5s);
    if (aggregator_) aggregator_->Stop(5s);
  }

  // One operator replica; `name` is its Lease identity.
  cli::ChildProcess& StartOperator(const std::string& name) {
    std::vector<std::string> argv = {std::string(kBin) + "/fedcrm-operator",
                                     "--kubeconfig=" + hub_kubeconfig_,
                                     std::string("--namespace=") + kHubNamespace,
                                     "--aggregator-url=" + aggregator_url,
                                     "--worker-image=fedcrm/worker:e2e",
                                     "--aggregator-cidr=127.0.0.1/32",
                                     "--federation-ca-secret=fedcrm/fedcrm-federation-ca",
                                     "--leader-elect",
                                     std::string("--leader-election-namespace=") + kHubNamespace,
                                     "--identity=" + name,
                                     "--metrics-listen=127.0.0.1:0",
                                     "--poll-interval-ms=300"};
    if (name != "replica-a") {
      // replica-a issues its own coordinator certificate from the federation
      // CA (what the Helm chart relies on); the others are given one.
      argv.push_back("--aggregator-ca=" + (dir_ / "pki/ca.pem").string());
      argv.push_back("--coordinator-cert=" + (dir_ / "pki/operator.pem").string());
      argv.push_back("--coordinator-key=" + (dir_ / "pki/operator-key.pem").string());
    }
    operators.erase(name);
    auto [it, inserted] = operators.emplace(
        name, cli::ChildProcess::Spawn(argv, (dir_ / ("operator-" + name + ".log")).string()));
    return it->second;
  }

  // (Re)starts the job runner; `fail` maps a silo to a worker --fail-at step.
  void StartJobRunner(const std::map<std::string, std::string>& fail) {
    if (job_runner_) job_runner_->Stop(5s);
    std::vector<std::string> argv = {FEDCRM_JOB_RUNNER,
                                     "--worker",
                                     std::string(kBin) + "/fedcrm-worker",
                                     "--work-dir",
                                     (dir_ / "jobs").string(),
                                     "--poll-ms",
                                     "200"};
    for (const auto& [name, path] : regional_kubeconfig_) {
      argv.push_back("--cluster");
      argv.push_back(name + "=" + path);
    }
    for (const char* silo : {"eu", "us", "ap", "bad", "tiny"}) {
      argv.push_back("--volume");
      argv.push_back(std::string("crm-") + silo + "=" + (dir_ / "data" / silo).string());
    }
    for (const auto& [silo, step] : fail) {
      argv.push_back("--fail");
      argv.push_back(silo + "=" + step);
    }
    job_runner_.emplace(cli::ChildProcess::Spawn(argv, (dir_ / "job-runner.log").string()));
  }

  std::string OperatorLog(const std::string& name) const {
    return ReadText(dir_ / ("operator-" + name + ".log"));
  }
  std::string JobRunnerLog() const { return ReadText(dir_ / "job-runner.log"); }

  // The /metrics page of operator replica `name` (its port is in its log).
  std::string OperatorMetrics(const std::string& name) const {
    const std::regex serving(R"("msg":"serving metrics".*"port":(\d+))");
    std::smatch match;
    const std::string log = OperatorLog(name);
    if (!std::regex_search(log, match, serving)) return "";
    runtime::HttpsClient plain(runtime::ClientOptions{});
    return plain.Get("http://127.0.0.1:" + match[1].str() + "/metrics").body;
  }

  // The aggregator's /metrics page.
  std::string AggregatorMetrics() const {
    runtime::HttpsClient plain(runtime::ClientOptions{});
    return plain.Get("http://127.0.0.1:" + std::to_string(aggregator_metrics_port) + "/metrics")
        .body;
  }

  // A RegionSilo. Its worker data is mapped by the job runner from
  // crm-<name>; `cluster` "" keeps it on the hub.
  Json Silo(const std::string& name, const std::string& region, const std::string& cluster,
            const std::string& pool, double budget) const {
    Json silo = ReadYamlFile("examples/kubernetes/regionsilo-eu-west.yaml");
    silo["metadata"]["name"] = name;
    silo["spec"]["region"] = region;
    silo["spec"]["data"]["persistentVolumeClaim"]["claimName"] = "crm-" + name;
    silo["spec"]["data"]["path"] = "churn/accounts.csv";
    silo["spec"]["privacyBudget"]["epsilon"] = budget;
    silo["spec"]["worker"]["nodeSelector"] = {{"fedcrm.io/pool", pool}};
    silo["spec"]["cluster"] = {{"kubeconfigSecretRef", {{"name", cluster + "-kubeconfig"}}},
                               {"namespace", kSiloNamespace}};
    return silo;
  }

  // The round template every test uses: the churn example, made quick.
  static Json RoundSpec() {
    Json spec = ReadYamlFile("examples/kubernetes/federatedround-churn.yaml")["spec"];
    spec.erase("baseModel");
    spec["training"]["localSteps"] = 5;
    spec["training"]["batchSize"] = 64;
    spec["privacy"]["samplingRate"] = 0.05;
    spec["deadlines"] = {{"phaseSeconds", 20}, {"maskedInputSeconds", 30}, {"roundSeconds", 300}};
    return spec;
  }

  std::shared_ptr<kube::RestClient> hub;
  std::map<std::string, std::shared_ptr<kube::RestClient>> regional;
  std::map<std::string, cli::ChildProcess> operators;
  std::string aggregator_url;
  int aggregator_metrics_port = 0;

 private:
  void InstallCrds() {
    for (const auto& entry : fs::directory_iterator("crds")) {
      const Json crd = ReadYamlFile(entry.path().string());
      CreateOrReplace(*hub, {"apiextensions.k8s.io", "v1", "customresourcedefinitions"}, crd);
    }
    for (const auto& gvr : {kRegionSilos, kFederatedRounds, kFederatedModels}) {
      ASSERT_TRUE(WaitFor(
          [&] {
            hub->List(gvr, kHubNamespace);
            return true;
          },
          60s))
          << gvr.resource << " never became served";
    }
  }

  void PrepareClusters() {
    CreateOrReplace(*hub, kube::resources::kNamespaces, Namespace(kHubNamespace));
    for (const auto& [name, client] : regional) {
      CreateOrReplace(*client, kube::resources::kNamespaces, Namespace(kSiloNamespace));
      Json secret = {{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata", {{"name", name + "-kubeconfig"}, {"namespace", kHubNamespace}}},
                     {"stringData", {{"kubeconfig", ReadText(regional_kubeconfig_.at(name))}}}};
      CreateOrReplace(*hub, kube::resources::kSecrets, secret);
    }
    const std::string region = "topology.kubernetes.io/region";
    CreateOrReplace(*regional["region-a"], kube::resources::kNodes,
                    Node("a-eu-1", {{region, "eu-west-1"}, {"fedcrm.io/pool", "eu"}}));
    // The "bad" silo claims sa-east-1 but its pool's node is in eu-west-1.
    CreateOrReplace(*regional["region-a"], kube::resources::kNodes,
                    Node("a-bad-1", {{region, "eu-west-1"}, {"fedcrm.io/pool", "bad"}}));
    CreateOrReplace(*regional["region-b"], kube::resources::kNodes,
                    Node("b-us-1", {{region, "us-east-1"}, {"fedcrm.io/pool", "us"}}));
    CreateOrReplace(*regional["region-b"], kube::resources::kNodes,
                    Node("b-ap-1", {{region, "ap-southeast-1"}, {"fedcrm.io/pool", "ap"}}));
    CreateOrReplace(*regional["region-b"], kube::resources::kNodes,
                    Node("b-tiny-1", {{region, "us-east-1"}, {"fedcrm.io/pool", "tiny"}}));
  }

  void MakePki() {
    const auto ca = runtime::CertificateAuthority::Create("fedcrm e2e federation CA", 24h);
    const auto server = ca.Issue("fedcrm-aggregator", runtime::CertificateUsage::kServer, 24h,
                                 {{"localhost"}, {"127.0.0.1"}});
    const auto coordinator = ca.Issue("fedcrm-operator", runtime::CertificateUsage::kClient, 24h);
    const fs::path pki = dir_ / "pki";
    fs::create_directories(pki);
    WriteText(pki / "ca.pem", ca.certificate_pem());
    WriteText(pki / "aggregator.pem", server.certificate_pem);
    WriteText(pki / "aggregator-key.pem", server.private_key_pem);
    WriteText(pki / "operator.pem", coordinator.certificate_pem);
    WriteText(pki / "operator-key.pem", coordinator.private_key_pem);
    // The operator signs worker certificates with the CA the aggregator trusts.
    const FederationCa federation =
        FederationCa::FromPem(ca.certificate_pem(), ca.private_key_pem());
    CreateOrReplace(*hub, kube::resources::kSecrets,
                    federation.ToSecret("fedcrm-federation-ca", kHubNamespace));
  }

  void MakeData() {
    const std::map<std::string, std::string> regions = {
        {"eu", "eu"}, {"us", "us"}, {"ap", "apac"}, {"bad", "eu"}, {"tiny", "us"}};
    for (const auto& [silo, region] : regions) {
      const fs::path out = dir_ / "data" / silo / "churn" / "accounts.csv";
      fs::create_directories(out.parent_path());
      const std::string command = std::string(kBin) + "/fedcrm datagen --task churn --region " +
                                  region + " --rows 1500 --out " + out.string();
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
  }

  void StartAggregator() {
    const fs::path pki = dir_ / "pki";
    aggregator_.emplace(cli::ChildProcess::Spawn(
        {std::string(kBin) + "/fedcrm-aggregator", "--listen", "127.0.0.1:0", "--metrics-listen",
         "127.0.0.1:0", "--tls-cert", (pki / "aggregator.pem").string(), "--tls-key",
         (pki / "aggregator-key.pem").string(), "--ca", (pki / "ca.pem").string(), "--data-dir",
         (dir_ / "aggregator").string(), "--coordinator-identity", "fedcrm-operator"},
        (dir_ / "aggregator.log").string()));
    const std::regex listening(
        R"(listening on https://127\.0\.0\.1:(\d+), metrics on http://127\.0\.0\.1:(\d+))");
    std::smatch match;
    ASSERT_TRUE(WaitFor(
        [&] {
          const std::string log = ReadText(dir_ / "aggregator.log");
          if (!std::regex_search(log, match, listening)) return false;
          aggregator_url = "https://127.0.0.1:" + match[1].str();
          aggregator_metrics_port = std::stoi(match[2].str());
          return true;
        },
        30s))
        << ReadText(dir_ / "aggregator.log");
  }

  fs::path dir_;
  std::string hub_kubeconfig_;
  std::map<std::string, std::string> regional_kubeconfig_;
  std::optional<cli::ChildProcess> aggregator_;
  std::optional<cli::ChildProcess> job_runner_;
};

Federation* federation = nullptr;

class OperatorE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (federation == nullptr) federation = new Federation();
  }
  static void TearDownTestSuite() {
    delete federation;
    federation = nullptr;
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& [name, process] : federation->operators) {
        std::cerr << "--- operator " << name << " log (tail)\n"
                  << Tail(federation->OperatorLog(name)) << "\n";
      }
      std::cerr << "--- job runner log (tail)\n" << Tail(federation->JobRunnerLog()) << "\n";
    }
  }
  static std::string Tail(const std::string& text) {
    return text.size() > 6000 ? text.substr(text.size() - 6000) : text;
  }

  kube::Client& hub() { return *federation->hub; }
  Json Get(const kube::GroupVersionResource& gvr, const std::string& name) {
    return hub().Get(gvr, {kHubNamespace, name});
  }
  static std::string Phase(const Json& object) {
    return object.contains("status") ? object["status"].value("phase", "") : "";
  }
  // Waits for a FederatedRound or FederatedModel to reach one of `phases`.
  Json WaitForPhase(const kube::GroupVersionResource& gvr, const std::string& name,
                    const std::set<std::string>& phases, std::chrono::seconds timeout) {
    Json object;
    const bool reached = WaitFor(
        [&] {
          object = Get(gvr, name);
          return phases.count(Phase(object)) > 0;
        },
        timeout);
    EXPECT_TRUE(reached) << gvr.resource << " " << name << " stayed in phase '" << Phase(object)
                         << "': " << object.value("status", Json::object()).dump(2);
    return object;
  }
  // Jobs of `round` across both regional clusters.
  size_t JobsOf(const std::string& round) {
    size_t count = 0;
    kube::ListOptions options;
    options.label_selector = std::string(kRoundLabel) + "=" + round;
    for (const auto& [name, client] : federation->regional) {
      count += client->List(kube::resources::kJobs, kSiloNamespace, options).items.size();
    }
    return count;
  }
  Json Ledger(const std::string& silo) {
    return Get(kRegionSilos, silo)["status"].value("ledger", Json::object());
  }
  void CreateRound(const std::string& name, Json spec) {
    spec["modelLine"] = name;
    hub().Create(kFederatedRounds, {{"apiVersion", "fedcrm.io/v1alpha1"},
                                    {"kind", "FederatedRound"},
                                    {"metadata", {{"name", name}, {"namespace", kHubNamespace}}},
                                    {"spec", spec}});
  }
};

TEST_F(OperatorE2eTest, SilosBecomeReadyOnlyWhereTheirNodesAreInTheirRegion) {
  federation->StartOperator("replica-a");
  for (Json silo : {federation->Silo("eu", "eu-west-1", "region-a", "eu", 6.0),
                    federation->Silo("us", "us-east-1", "region-b", "us", 6.0),
                    federation->Silo("ap", "ap-southeast-1", "region-b", "ap", 6.0),
                    federation->Silo("bad", "sa-east-1", "region-a", "bad", 6.0)}) {
    CreateOrReplace(hub(), kRegionSilos, silo);
  }
  auto condition = [&](const std::string& silo, const char* type) {
    const Json status = Get(kRegionSilos, silo).value("status", Json::object());
    for (const Json& c : status.value("conditions", Json::array())) {
      if (c["type"] == type) return c["status"].get<std::string>();
    }
    return std::string("absent");
  };
  for (const char* silo : {"eu", "us", "ap"}) {
    EXPECT_TRUE(WaitFor([&] { return condition(silo, "Ready") == "True"; }, 60s))
        << silo << ": " << Get(kRegionSilos, silo).value("status", Json::object()).dump(2);
  }
  EXPECT_TRUE(WaitFor([&] { return condition("bad", "ResidencyVerified") == "False"; }, 60s));
  EXPECT_NE(condition("bad", "Ready"), "True");
  // Provisioned where the worker runs: its ServiceAccount and TLS Secret.
  EXPECT_NO_THROW(federation->regional["region-b"]->Get(kube::resources::kSecrets,
                                                        {kSiloNamespace, "fedcrm-worker-us-tls"}));
}

TEST_F(OperatorE2eTest, AModelOfThreeRoundsSucceedsAndEveryLedgerAgreesWithTheAggregator) {
  Json template_spec = Federation::RoundSpec();
  Json model = ReadYamlFile("examples/kubernetes/federatedmodel-churn.yaml");
  model["metadata"]["name"] = "churn";
  model["spec"]["rounds"] = 3;
  model["spec"].erase("stopWhen");
  model["spec"].erase("promotedRound");
  model["spec"]["roundTemplate"]["spec"] = template_spec;
  model["spec"]["roundTemplate"]["spec"].erase("modelLine");
  hub().Create(kFederatedModels, model);

  const Json done = WaitForPhase(kFederatedModels, "churn", {"Completed", "Failed"}, 600s);
  ASSERT_EQ(Phase(done), "Completed") << done.dump(2);
  EXPECT_EQ(done["status"]["roundsSucceeded"], 3);

  std::string previous_digest;
  std::string best_round;
  double best_auc = -1;
  double latest_auc = -1;
  for (int i = 1; i <= 3; ++i) {
    const Json round = Get(kFederatedRounds, "churn-r" + std::to_string(i));
    ASSERT_EQ(Phase(round), "Succeeded") << round.dump(2);
    const std::string digest = round["status"]["model"]["digest"];
    EXPECT_EQ(digest.rfind("sha256:", 0), 0u);
    // The evaluation stage scored the released model on the silos' held-out
    // rows (the CRD's default fifth), under secure aggregation.
    const Json& model_status = round["status"]["model"];
    ASSERT_TRUE(model_status.contains("primaryMetric")) << round.dump(2);
    EXPECT_EQ(model_status["primaryMetric"]["name"], "roc_auc");
    latest_auc = model_status["primaryMetric"]["value"].get<double>();
    EXPECT_GT(latest_auc, 0.0);
    EXPECT_LE(latest_auc, 1.0);
    EXPECT_EQ(model_status["metrics"]["roc_auc"], latest_auc);
    EXPECT_TRUE(model_status["metrics"].contains("log_loss"));
    EXPECT_GT(model_status["evaluatedExamples"].get<int64_t>(), 0);
    if (latest_auc > best_auc) {
      best_auc = latest_auc;
      best_round = round["metadata"]["name"];
    }
    if (i > 1) {
      EXPECT_EQ(round["status"]["model"]["baseModel"], previous_digest);
    }
    previous_digest = digest;
    // "bad" is never scheduled: eu, us, ap only.
    EXPECT_EQ(JobsOf(round["metadata"]["name"]), 3u);
    for (const Json& silo : round["status"]["silos"]) {
      if (silo["name"] == "bad") {
        EXPECT_EQ(silo["state"], "Excluded");
      }
    }
  }
  EXPECT_EQ(done["status"]["latestRound"]["digest"], previous_digest);
  EXPECT_EQ(done["status"]["bestRound"]["name"], best_round) << done["status"].dump(2);
  EXPECT_EQ(done["status"]["bestRound"]["primaryMetric"]["value"], best_auc);
  {
    // The aggregator exports the line's latest evaluation for the dashboard.
    const std::string page = federation->AggregatorMetrics();
    const std::regex series(
        "fedcrm_model_metric\\{model_line=\"churn\",metric=\"roc_auc\"\\} "
        "([0-9.eE+-]+)");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(page, match, series)) << page;
    EXPECT_NEAR(std::stod(match[1].str()), latest_auc, 1e-12);
  }

  // Each ledger holds exactly the three rounds, composed by the accountant,
  // and says what the aggregator's release log says.
  const std::string metrics = federation->AggregatorMetrics();
  for (const char* silo : {"eu", "us", "ap"}) {
    const Json ledger = Ledger(silo);
    EXPECT_EQ(ledger["committedRounds"], Json({"churn-r1", "churn-r2", "churn-r3"})) << silo;
    EXPECT_TRUE(ledger.value("reservations", Json::array()).empty()) << silo;
    const auto charge = RoundCharge(template_spec["privacy"]["samplingRate"],
                                    template_spec["privacy"]["noiseMultiplier"],
                                    template_spec["training"]["localSteps"]);
    const double expected = privacy::EpsilonFromRdp(charge + charge + charge, 1e-5).epsilon;
    EXPECT_NEAR(ledger["epsilonSpent"].get<double>(), expected, 1e-9) << silo;
    const std::regex series("fedcrm_privacy_epsilon_spent\\{silo=\"" + std::string(silo) +
                            "\"\\} ([0-9.eE+-]+)");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(metrics, match, series)) << metrics;
    EXPECT_NEAR(std::stod(match[1].str()), ledger["epsilonSpent"].get<double>(), 1e-9) << silo;
    // The operator mirrors the ledger into its gauges, which the
    // divergence alert sets against the aggregator's.
    const std::regex gauge("fedcrm_silo_epsilon_spent\\{namespace=\"fedcrm\",silo=\"" +
                           std::string(silo) + "\"\\} ([0-9.eE+-]+)");
    std::string page;
    EXPECT_TRUE(WaitFor(
        [&] {
          page = federation->OperatorMetrics("replica-a");
          std::smatch value;
          return std::regex_search(page, value, gauge) &&
                 std::abs(std::stod(value[1].str()) - ledger["epsilonSpent"].get<double>()) < 1e-9;
        },
        30s))
        << silo << "\n"
        << page;
  }
  EXPECT_TRUE(Ledger("bad").value("committedRounds", Json::array()).empty());
}

TEST_F(OperatorE2eTest, ASiloWithoutBudgetIsExcludedAndMinParticipantsDecides) {
  CreateOrReplace(hub(), kRegionSilos,
                  federation->Silo("tiny", "us-east-1", "region-b", "tiny", 0.01));
  ASSERT_TRUE(WaitFor(
      [&] {
        const Json status = Get(kRegionSilos, "tiny").value("status", Json::object());
        for (const Json& c : status.value("conditions", Json::array())) {
          if (c["type"] == "Ready" && c["status"] == "True") return true;
        }
        return false;
      },
      60s));
  Json spec = Federation::RoundSpec();
  CreateRound("budget-ok", spec);
  const Json ok = WaitForPhase(kFederatedRounds, "budget-ok", {"Succeeded", "Failed"}, 300s);
  EXPECT_EQ(Phase(ok), "Succeeded") << ok.dump(2);
  for (const Json& silo : ok["status"]["silos"]) {
    if (silo["name"] == "tiny") {
      EXPECT_EQ(silo["state"], "Excluded");
      EXPECT_EQ(silo["reason"], "BudgetExhausted");
    }
  }
  EXPECT_EQ(JobsOf("budget-ok"), 3u);

  spec["minParticipants"] = 4;  // eu, us, ap eligible; tiny excluded
  spec["secureAggregation"]["threshold"] = 4;
  CreateRound("budget-short", spec);
  const Json failed = WaitForPhase(kFederatedRounds, "budget-short", {"Failed"}, 120s);
  bool insufficient = false;
  for (const Json& c : failed["status"]["conditions"]) {
    if (c["type"] == "Failed" && c["reason"] == "InsufficientParticipants") insufficient = true;
  }
  EXPECT_TRUE(insufficient) << failed.dump(2);
  EXPECT_EQ(JobsOf("budget-short"), 0u);
  for (const char* silo : {"eu", "us", "ap", "tiny"}) {
    for (const Json& r : Ledger(silo).value("reservations", Json::array())) {
      EXPECT_NE(r["round"], "budget-short") << silo;
    }
  }
}

TEST_F(OperatorE2eTest, AWorkerThatCrashesMidRoundLeavesARoundThatStillSucceeds) {
  // ap's worker stops right before sending its masked input.
  federation->StartJobRunner({{"ap", "training/masked"}});
  CreateRound("crash", Federation::RoundSpec());
  const Json round = WaitForPhase(kFederatedRounds, "crash", {"Succeeded", "Failed"}, 300s);
  federation->StartJobRunner({});
  ASSERT_EQ(Phase(round), "Succeeded") << round.dump(2);
  for (const Json& silo : round["status"]["silos"]) {
    if (silo["name"] == "ap") {
      EXPECT_EQ(silo["state"], "Dropped");
    }
    if (silo["name"] == "eu") {
      EXPECT_EQ(silo["state"], "Submitted");
    }
  }
  // ap's update was never released: it is not charged.
  EXPECT_FALSE(Contains(Ledger("ap").value("committedRounds", Json::array()), "crash"));
  EXPECT_TRUE(Contains(Ledger("eu").value("committedRounds", Json::array()), "crash"));
}

TEST_F(OperatorE2eTest, AnOperatorKilledMidRoundMakesNoDuplicateJobAndNoDoubleCharge) {
  CreateRound("restart", Federation::RoundSpec());
  ASSERT_TRUE(WaitFor([&] { return JobsOf("restart") >= 1; }, 120s));
  for (auto& [name, process] : federation->operators) kill(process.pid(), SIGKILL);
  federation->operators.clear();
  federation->StartOperator("replica-a");
  const Json round = WaitForPhase(kFederatedRounds, "restart", {"Succeeded", "Failed"}, 300s);
  ASSERT_EQ(Phase(round), "Succeeded") << round.dump(2);
  EXPECT_EQ(JobsOf("restart"), 3u);
  for (const char* silo : {"eu", "us", "ap"}) {
    int commits = 0;
    for (const Json& r : Ledger(silo).value("committedRounds", Json::array())) {
      commits += r == "restart";
    }
    EXPECT_EQ(commits, 1) << silo;
  }
}

TEST_F(OperatorE2eTest, DeletingARoundRemovesItsJobsFromTheRegionalClusters) {
  CreateRound("deleted", Federation::RoundSpec());
  ASSERT_TRUE(WaitFor([&] { return JobsOf("deleted") == 3; }, 120s));
  hub().Delete(kFederatedRounds, {kHubNamespace, "deleted"});
  EXPECT_TRUE(WaitFor(
      [&] {
        try {
          Get(kFederatedRounds, "deleted");
          return false;
        } catch (const kube::ApiError& e) {
          return e.IsNotFound() && JobsOf("deleted") == 0;
        }
      },
      120s));
}

TEST_F(OperatorE2eTest, TwoReplicasElectOneLeaderAndFailOverWithinTheLease) {
  if (!federation->operators.count("replica-a")) federation->StartOperator("replica-a");
  federation->StartOperator("replica-b");
  auto holder = [&] {
    const Json lease = hub().Get(kube::resources::kLeases, {kHubNamespace, "fedcrm-operator"});
    return lease["spec"].value("holderIdentity", "");
  };
  std::string leader;
  ASSERT_TRUE(WaitFor(
      [&] {
        leader = holder();
        return !leader.empty();
      },
      60s));
  const std::string follower = leader == "replica-a" ? "replica-b" : "replica-a";
  kill(federation->operators.at(leader).pid(), SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return holder() == follower; }, 40s)) << "leader stayed " << holder();
  const auto took = std::chrono::steady_clock::now() - killed;
  // Lease duration 15 s plus one retry period (2 s) and polling slack.
  EXPECT_LT(took, 20s);
  federation->operators.erase(leader);
}

}  // namespace
}  // namespace fedcrm::op
