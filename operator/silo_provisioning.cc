#include "operator/silo_provisioning.h"

#include <arpa/inet.h>

#include <algorithm>

#include "operator/json_fields.h"
#include "operator/object_names.h"

namespace fedcrm::op {
namespace {

constexpr size_t kMaxNamesInMessage = 10;

Json Metadata(const RegionSiloSpec& silo, const std::string& name) {
  return {
      {"name", name},
      {"namespace", silo.TargetNamespace()},
      {"labels",
       {{kSiloLabel, LabelValue(silo.name)},
        {kManagedByLabel, kManagedByValue},
        {kNameLabel, "fedcrm-worker"}}},
      {"annotations", {{kSiloAnnotation, silo.name}, {kSiloNamespaceAnnotation, silo.namespace_}}}};
}

// The address part alone parses as IPv4 or IPv6; a missing prefix becomes
// the host prefix.
std::string NormalizeCidr(const std::string& cidr, const std::string& where) {
  const size_t slash = cidr.find('/');
  const std::string address = cidr.substr(0, slash);
  unsigned char buffer[16];
  const bool v4 = inet_pton(AF_INET, address.c_str(), buffer) == 1;
  const bool v6 = !v4 && inet_pton(AF_INET6, address.c_str(), buffer) == 1;
  if (!v4 && !v6) throw ConfigError(where, "'" + cidr + "' is not an IP address or CIDR");
  if (slash == std::string::npos) return address + (v4 ? "/32" : "/128");
  const std::string prefix = cidr.substr(slash + 1);
  const int max = v4 ? 32 : 128;
  if (prefix.empty() || prefix.size() > 3 ||
      prefix.find_first_not_of("0123456789") != std::string::npos || std::stoi(prefix) > max) {
    throw ConfigError(
        where, "'" + cidr + "' has a bad prefix length; expected 0 to " + std::to_string(max));
  }
  return cidr;
}

Json AggregatorPeer(const AggregatorEndpoint& aggregator, const std::string& where) {
  const bool by_address = !aggregator.cidr.empty();
  const bool by_selector = !aggregator.namespace_.empty();
  if (by_address == by_selector) {
    throw ConfigError(where, "expected either an address or a namespace and pod labels");
  }
  if (by_address) return {{"ipBlock", {{"cidr", NormalizeCidr(aggregator.cidr, where)}}}};
  Json pods = Json::object();
  for (const auto& [key, value] : aggregator.pod_labels) pods[key] = value;
  return {{"namespaceSelector",
           {{"matchLabels", {{"kubernetes.io/metadata.name", aggregator.namespace_}}}}},
          {"podSelector", {{"matchLabels", pods}}}};
}

std::map<std::string, std::string> NodeLabels(const Json& node) {
  std::map<std::string, std::string> out;
  const Json* metadata = FindField(node, "metadata");
  const Json* labels = metadata ? FindField(*metadata, "labels") : nullptr;
  if (labels == nullptr || !labels->is_object()) return out;
  for (const auto& [key, value] : labels->items()) {
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  }
  return out;
}

std::string NodeName(const Json& node) {
  const Json* metadata = FindField(node, "metadata");
  const Json* name = metadata ? FindField(*metadata, "name") : nullptr;
  return name && name->is_string() ? name->get<std::string>() : "<unnamed>";
}

bool Unschedulable(const Json& node) {
  const Json* spec = FindField(node, "spec");
  const Json* flag = spec ? FindField(*spec, "unschedulable") : nullptr;
  return flag && flag->is_boolean() && flag->get<bool>();
}

bool Matches(const std::map<std::string, std::string>& labels,
             const std::map<std::string, std::string>& selector) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxNamesInMessage; ++i) {
    out += (i ? ", " : "") + names[i];
  }
  if (names.size() > kMaxNamesInMessage) {
    out += " and " + std::to_string(names.size() - kMaxNamesInMessage) + " more";
  }
  return out;
}

}  // namespace

Json BuildWorkerServiceAccount(const RegionSiloSpec& silo) {
  return {{"apiVersion", "v1"},
          {"kind", "ServiceAccount"},
          {"metadata", Metadata(silo, silo.WorkerServiceAccount())},
          {"automountServiceAccountToken", false}};
}

Json BuildWorkerTlsSecret(const RegionSiloSpec& silo, const runtime::IssuedCertificate& issued,
                          const std::string& ca_certificate_pem) {
  Json metadata = Metadata(silo, WorkerTlsSecretName(silo.name));
  metadata["annotations"][kCertificateIdentityAnnotation] = silo.name;
  // stringData: the API server encodes it; the operator never handles base64.
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", metadata},
          {"type", "kubernetes.io/tls"},
          {"stringData",
           {{"tls.crt", issued.certificate_pem},
            {"tls.key", issued.private_key_pem},
            {"ca.crt", ca_certificate_pem}}}};
}

Json BuildWorkerNetworkPolicy(const RegionSiloSpec& silo, const AggregatorEndpoint& aggregator) {
  const std::string where =
      "NetworkPolicy of RegionSilo " + silo.namespace_ + "/" + silo.name + ": aggregator endpoint";
  if (aggregator.port < 1 || aggregator.port > 65535) {
    throw ConfigError(where, "port " + std::to_string(aggregator.port) + "; expected 1 to 65535");
  }
  const Json dns_ports = {{{"protocol", "UDP"}, {"port", 53}}, {{"protocol", "TCP"}, {"port", 53}}};
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata", Metadata(silo, WorkerNetworkPolicyName(silo.name))},
          {"spec",
           {{"podSelector",
             {{"matchLabels",
               {{kSiloLabel, LabelValue(silo.name)},
                {kComponentLabel, kWorkerComponent},
                {kManagedByLabel, kManagedByValue}}}}},
            {"policyTypes", {"Ingress", "Egress"}},
            {"ingress", Json::array()},
            {"egress",
             {{{"to", {AggregatorPeer(aggregator, where)}},
               {"ports", {{{"protocol", "TCP"}, {"port", aggregator.port}}}}},
              {{"ports", dns_ports}}}}}}};
}

ResidencyCheck CheckResidency(const std::string& region, const Json& nodes,
                              const std::map<std::string, std::string>& node_selector) {
  const Json* items = nodes.is_array() ? &nodes : FindField(nodes, "items");
  ResidencyCheck out;
  std::vector<std::string> outside;
  for (size_t i = 0; items != nullptr && items->is_array() && i < items->size(); ++i) {
    const Json& node = (*items)[i];
    const auto labels = NodeLabels(node);
    if (Unschedulable(node) || !Matches(labels, node_selector)) continue;
    out.eligible_nodes.push_back(NodeName(node));
    auto it = labels.find(kRegionNodeLabel);
    if (it == labels.end()) {
      outside.push_back(NodeName(node) + " (no " + kRegionNodeLabel + " label)");
    } else if (it->second != region) {
      outside.push_back(NodeName(node) + " (" + it->second + ")");
    }
  }
  if (out.eligible_nodes.empty()) {
    out.reason = "NoSchedulableNodes";
    out.message = "no schedulable node matches the worker's node selector";
  } else if (!outside.empty()) {
    out.reason = "NodesOutsideRegion";
    out.message =
        std::to_string(outside.size()) + " of " + std::to_string(out.eligible_nodes.size()) +
        " nodes the worker could run on are not in region " + region + ": " + JoinNames(outside);
  } else {
    out.verified = true;
    out.reason = "NodesInRegion";
    out.message = "all " + std::to_string(out.eligible_nodes.size()) +
                  " nodes the worker could run on are in region " + region;
  }
  return out;
}

}  // namespace fedcrm::op
