// Object keys ("namespace/name") and REST paths for Kubernetes resources.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedcrm::kube {

// The identity of an object; namespace_ is empty for cluster-scoped objects.
struct ObjectKey {
  std::string namespace_;
  std::string name;

  // "ns/name", or "name" when cluster-scoped: the work-queue key format.
  std::string ToString() const;
  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
};

// Parses "ns/name" or "name". Throws ConfigError naming the key when it has
// more than one '/', an empty part, or a part that is not a DNS subdomain.
ObjectKey ParseObjectKey(std::string_view key);

// True when `name` is a valid object name (RFC 1123 subdomain, at most 253).
bool IsValidObjectName(std::string_view name);

// True when `name` is a valid namespace name (RFC 1123 label, at most 63).
bool IsValidNamespace(std::string_view name);

struct GroupVersionResource {
  std::string group;     // "" for the core group
  std::string version;   // "v1", "v1alpha1"
  std::string resource;  // plural, lower case: "pods", "federatedrounds"
};

// The REST path of a collection or an object:
//   /api/v1/namespaces/ns/pods
//   /apis/fedcrm.io/v1alpha1/namespaces/ns/federatedrounds/name/status
//   /apis/coordination.k8s.io/v1/leases (all namespaces)
//   /api/v1/nodes/n1 (cluster-scoped: empty namespace)
// A subresource needs a name. Throws ConfigError for empty version/resource,
// or a namespace, name or subresource that would break the path.
std::string ResourcePath(const GroupVersionResource& gvr, std::string_view namespace_ = {},
                         std::string_view name = {}, std::string_view subresource = {});

// A label selector as metav1.LabelSelector holds it.
struct LabelSelectorRequirement {
  enum class Operator { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Operator op = Operator::kExists;
  std::vector<std::string> values;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};

// The selector in the API's string form ("app=x,env in (a,b),!legacy"),
// unescaped; pass it through EncodeQuery for a URL. Throws ConfigError for a
// requirement whose values don't fit its operator.
std::string FormatLabelSelector(const LabelSelector& selector);

// "?k1=v1&k2=v2" with RFC 3986 percent-encoding; "" for no parameters.
std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& params);

// Percent-encodes everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view text);

}  // namespace fedcrm::kube
