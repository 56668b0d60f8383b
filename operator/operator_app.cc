#include "operator/operator_app.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "core/common/error.h"
#include "kube/event_recorder.h"
#include "kube/informer.h"
#include "kube/kube_config.h"
#include "kube/leader_election.h"
#include "kube/rest_client.h"
#include "operator/aggregator_admin.h"
#include "operator/cluster_connections.h"
#include "operator/controller.h"
#include "operator/fedcrm_resources.h"
#include "operator/federated_model_controller.h"
#include "operator/federated_round_controller.h"
#include "operator/federation_ca_store.h"
#include "operator/region_silo_controller.h"
#include "runtime/certificates.h"
#include "runtime/log.h"
#include "runtime/ops_endpoints.h"

namespace fedcrm::op {
namespace {

kube::KubeConfig HubConfig(const std::string& kubeconfig) {
  if (!kubeconfig.empty()) return kube::LoadKubeconfig(kubeconfig);
  if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) return kube::InClusterConfig();
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    return kube::LoadKubeconfig(env);
  }
  throw ConfigError("--kubeconfig",
                    "not running in a cluster and neither --kubeconfig nor $KUBECONFIG is set");
}

std::string DefaultIdentity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + "_" + std::to_string(getpid());
}

// "https://10.1.2.3:8443" -> "10.1.2.3/32"; "" when the host is a name.
std::string CidrOfUrl(const std::string& url) {
  const runtime::Url parsed = runtime::ParseUrl(url);
  const bool ipv4 = parsed.host.find_first_not_of("0123456789.") == std::string::npos;
  if (ipv4) return parsed.host + "/32";
  if (parsed.host.find(':') != std::string::npos) return parsed.host + "/128";
  return "";
}

// The operator speaks to the aggregator as the coordinator. Without
// certificate flags it issues itself a client certificate from the
// federation CA, which the aggregator trusts for silos already: a Helm
// install then needs no certificate that Helm's functions cannot make (they
// cannot write the identity URI SAN).
std::unique_ptr<AggregatorAdmin> MakeAggregatorAdmin(const OperatorFlags& flags,
                                                     const FederationCa& ca) {
  runtime::ClientOptions options;
  const std::string trust = flags.aggregator_ca.empty() ? ca.certificate_pem()
                                                        : runtime::ReadPemFile(flags.aggregator_ca);
  if (flags.coordinator_cert.empty()) {
    const runtime::IssuedCertificate issued =
        ca.IssueWorkerCertificate(flags.coordinator_identity, std::chrono::hours(24 * 365));
    options.tls = runtime::TlsClientOptions{trust, issued.certificate_pem, issued.private_key_pem};
  } else {
    options.tls = runtime::TlsClientOptions{trust, runtime::ReadPemFile(flags.coordinator_cert),
                                            runtime::ReadPemFile(flags.coordinator_key)};
  }
  options.request_timeout = std::chrono::seconds(30);
  return std::make_unique<HttpsAggregatorAdmin>(flags.aggregator_url, std::move(options));
}

// Mirrors each RegionSilo's ledger into the gauges, so Prometheus can set the
// operator's view against the aggregator's release log.
void ExportLedger(OperatorMetrics& metrics, const kube::Json& silo, bool deleted) {
  const std::string ns = silo["metadata"].value("namespace", "");
  const std::string name = silo["metadata"].value("name", "");
  if (deleted) {
    metrics.RemoveLedger(ns, name);
    return;
  }
  const kube::Json empty = kube::Json::object();
  const kube::Json& status = silo.contains("status") ? silo.at("status") : empty;
  const kube::Json& ledger = status.contains("ledger") ? status.at("ledger") : empty;
  const kube::Json& spec = silo.contains("spec") ? silo.at("spec") : empty;
  const double budget =
      spec.contains("privacyBudget") ? spec.at("privacyBudget").value("epsilon", 0.0) : 0.0;
  metrics.SetLedger(ns, name, ledger.value("epsilonSpent", 0.0),
                    ledger.value("epsilonReserved", 0.0), ledger.value("epsilonRemaining", budget),
                    budget);
}

// What the informers keep of each object. The reconcilers read the object
// they work on from the API server, so the caches only need to say which
// object changed (and the silos' ledgers, for the gauges): dropping spec and
// status keeps the operator small with thousands of rounds.
kube::InformerOptions Keeping(std::vector<std::string> spec_fields,
                              std::vector<std::string> status_fields) {
  kube::InformerOptions options;
  options.transform = [spec_fields = std::move(spec_fields),
                       status_fields = std::move(status_fields)](kube::Json& object) {
    kube::Json kept = {{"apiVersion", object.value("apiVersion", "")},
                       {"kind", object.value("kind", "")},
                       {"metadata", object["metadata"]}};
    for (const auto& [part, fields] :
         {std::pair{"spec", &spec_fields}, {"status", &status_fields}}) {
      if (!object.contains(part) || !object[part].is_object()) continue;
      for (const std::string& field : *fields) {
        if (object[part].contains(field)) kept[part][field] = std::move(object[part][field]);
      }
    }
    object = std::move(kept);
  };
  return options;
}

std::string KeyOf(const kube::Json& object) {
  return kube::ObjectKey{object["metadata"].value("namespace", ""),
                         object["metadata"].value("name", "")}
      .ToString();
}

}  // namespace

OperatorApp::OperatorApp(OperatorFlags flags) : flags_(std::move(flags)) {
  // One malloc arena rather than one per thread: the operator is I/O bound,
  // and every arena keeps its own free heap (one arena measured 2-3 MiB less
  // resident than two, with no change in reconcile latency).
  mallopt(M_ARENA_MAX, 1);
  // Seven reconcile workers, three watches and the leader elector each wait
  // on one request at a time; the pool only runs socket callbacks.
  kube::SetRestClientIoThreads(4);
  if (flags_.identity.empty()) flags_.identity = DefaultIdentity();
  hub_ = std::make_shared<kube::RestClient>(HubConfig(flags_.kubeconfig));

  runtime::ServerOptions plain;
  plain.address = flags_.metrics_address;
  plain.port = flags_.metrics_port;
  plain.threads = 2;
  plain.max_body_bytes = 1 << 16;
  metrics_server_ = std::make_unique<runtime::HttpsServer>(std::move(plain));
  // Ready once this replica can serve: a standby is ready too (it is healthy
  // and waits for the Lease); a leader once its caches have synced.
  runtime::ServeOpsEndpoints(
      *metrics_server_, [this] { return metrics_.Render(); },
      [this] { return synced_ || flags_.leader_elect; }, "syncing\n");
}

OperatorApp::~OperatorApp() { metrics_server_->Stop(std::chrono::seconds(0)); }

uint16_t OperatorApp::metrics_port() const { return metrics_server_->port(); }

int OperatorApp::Run(const std::stop_token& stop) {
  metrics_server_->Start();
  runtime::Log().Info("serving metrics", {{"port", metrics_port()}, {"identity", flags_.identity}});
  if (!flags_.leader_elect) {
    metrics_.SetLeader(true);  // the only replica leads
    RunControllers(stop);
    return 0;
  }
  kube::LeaderElectionConfig config;
  config.lease_namespace = flags_.leader_election_namespace;
  config.lease_name = flags_.leader_election_id;
  config.identity = flags_.identity;
  kube::LeaderCallbacks callbacks;
  // The callback's signature takes the token by value.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  callbacks.on_started_leading = [this](std::stop_token leading) {
    metrics_.SetLeader(true);
    runtime::Log().Info("started leading", {{"identity", flags_.identity}});
    RunControllers(leading);
  };
  callbacks.on_stopped_leading = [this] {
    metrics_.SetLeader(false);
    runtime::Log().Warn("stopped leading", {{"identity", flags_.identity}});
  };
  callbacks.on_new_leader = [](const std::string& leader) {
    runtime::Log().Info("leader elected", {{"leader", leader}});
  };
  metrics_.SetLeader(false);
  kube::LeaderElector elector(*hub_, config, std::move(callbacks));
  elector.Run(stop);
  return stop.stop_requested() ? 0 : 1;
}

void OperatorApp::RunControllers(const std::stop_token& stop) {
  ClusterConnections clusters(*hub_, [](const kube::KubeConfig& config) {
    return std::make_shared<kube::RestClient>(config);
  });
  const FederationCa ca = LoadOrCreateFederationCa(*hub_, flags_.federation_ca_secret);
  const std::unique_ptr<AggregatorAdmin> aggregator = MakeAggregatorAdmin(flags_, ca);
  kube::EventRecorder events(*hub_, "fedcrm.io/fedcrm-operator", flags_.identity);
  events.SetErrorSink([](const std::string& message) {
    runtime::Log().Warn("could not record an event", {{"error", message}});
  });

  RoundControllerOptions round_options;
  round_options.job.aggregator_url = flags_.worker_aggregator_url;
  round_options.job.default_image = flags_.worker_image;
  round_options.poll_interval = std::chrono::milliseconds(flags_.poll_interval_ms);
  FederatedRoundReconciler rounds(*hub_, clusters, *aggregator, &events, round_options);

  RegionSiloControllerOptions silo_options;
  silo_options.aggregator.cidr = flags_.aggregator_cidr.empty()
                                     ? CidrOfUrl(flags_.worker_aggregator_url)
                                     : flags_.aggregator_cidr;
  silo_options.aggregator.port = runtime::ParseUrl(flags_.worker_aggregator_url).port;
  RegionSiloReconciler silos(*hub_, clusters, ca, &events, silo_options);

  FederatedModelReconciler models(*hub_, &events, ModelControllerOptions{});

  Controller silo_controller("regionsilo", silos, &metrics_, 2);
  Controller round_controller("federatedround", rounds, &metrics_, 4);
  Controller model_controller("federatedmodel", models, &metrics_, 1);

  kube::Informer silo_informer(*hub_, kRegionSilos, flags_.namespace_,
                               Keeping({"privacyBudget"}, {"ledger"}));
  silo_informer.AddHandlers(
      {.on_add =
           [&](const kube::Json& o) {
             ExportLedger(metrics_, o, false);
             silo_controller.Enqueue(KeyOf(o));
           },
       .on_update =
           [&](const kube::Json&, const kube::Json& o) {
             ExportLedger(metrics_, o, false);
             silo_controller.Enqueue(KeyOf(o));
           },
       .on_delete = [&](const kube::Json& o) { ExportLedger(metrics_, o, true); }});

  // A round's changes concern its own controller and the model it belongs to.
  const auto on_round = [&](const kube::Json& o) {
    round_controller.Enqueue(KeyOf(o));
    if (const auto model = ModelOfRound(o)) model_controller.Enqueue(model->ToString());
  };
  // Reconciled rounds are large (status.silos lists every selected silo) and
  // the list is trimmed page by page: small pages keep the initial list's
  // peak small.
  kube::InformerOptions round_cache = Keeping({}, {});
  round_cache.watch.page_size = 100;
  kube::Informer round_informer(*hub_, kFederatedRounds, flags_.namespace_, std::move(round_cache));
  round_informer.AddHandlers(
      {.on_add = on_round,
       .on_update = [&](const kube::Json&, const kube::Json& o) { on_round(o); },
       .on_delete = on_round});

  kube::Informer model_informer(*hub_, kFederatedModels, flags_.namespace_, Keeping({}, {}));
  model_informer.AddHandlers(
      {.on_add = [&](const kube::Json& o) { model_controller.Enqueue(KeyOf(o)); },
       .on_update = [&](const kube::Json&,
                        const kube::Json& o) { model_controller.Enqueue(KeyOf(o)); },
       .on_delete = nullptr});

  silo_informer.Start(stop);
  round_informer.Start(stop);
  model_informer.Start(stop);
  while (!stop.stop_requested() &&
         !(silo_informer.HasSynced() && round_informer.HasSynced() && model_informer.HasSynced())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  synced_ = true;
  // The initial lists were parsed whole before the informers trimmed them;
  // glibc keeps that peak's heap unless asked to give it back.
  malloc_trim(0);
  silo_controller.Start();
  round_controller.Start();
  model_controller.Start();
  runtime::Log().Info(
      "controllers started",
      {{"namespace", flags_.namespace_.empty() ? std::string("(all)") : flags_.namespace_}});
  // Reconciles parse whole objects on many threads; glibc keeps freed heap
  // per arena. Handing it back every few seconds (a walk of two arenas,
  // well under a millisecond here) keeps the resident set near what the
  // caches hold once a burst of reconciles is over (docs/benchmarks.md,
  // "Operator").
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  while (!cv.wait_for(lock, stop, std::chrono::seconds(5), [] { return false; })) {
    if (stop.stop_requested()) break;
    malloc_trim(0);
  }
  model_controller.Stop();
  round_controller.Stop();
  silo_controller.Stop();
  synced_ = false;
}

}  // namespace fedcrm::op
