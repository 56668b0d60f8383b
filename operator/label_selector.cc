#include "operator/label_selector.h"

#include <algorithm>

namespace fedcrm::op {
namespace {

using Operator = kube::LabelSelectorRequirement::Operator;

Operator ParseOperator(const std::string& name, const FieldPath& at) {
  if (name == "In") return Operator::kIn;
  if (name == "NotIn") return Operator::kNotIn;
  if (name == "Exists") return Operator::kExists;
  if (name == "DoesNotExist") return Operator::kDoesNotExist;
  throw at.Error("'" + name + "'; expected In, NotIn, Exists or DoesNotExist");
}

bool Matches(const kube::LabelSelectorRequirement& r,
             const std::map<std::string, std::string>& labels) {
  auto it = labels.find(r.key);
  const bool present = it != labels.end();
  const bool listed =
      present && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
  switch (r.op) {
    case Operator::kIn:
      return listed;
    case Operator::kNotIn:
      return !listed;
    case Operator::kExists:
      return present;
    case Operator::kDoesNotExist:
      return !present;
  }
  return false;
}

}  // namespace

kube::LabelSelector ParseLabelSelector(const Json& selector, const FieldPath& at) {
  if (!selector.is_object()) throw at.Error("got " + selector.dump() + "; expected an object");
  kube::LabelSelector out;
  out.match_labels = OptionalStringMap(selector, "matchLabels", at);
  const Json* expressions = FindField(selector, "matchExpressions");
  if (expressions == nullptr) return out;
  const FieldPath list_at = at.Child("matchExpressions");
  if (!expressions->is_array()) throw list_at.Error("expected a list");
  for (size_t i = 0; i < expressions->size(); ++i) {
    const FieldPath e = list_at.Index(i);
    const Json& item = (*expressions)[i];
    if (!item.is_object()) throw e.Error("expected an object");
    kube::LabelSelectorRequirement r;
    r.key = RequiredString(item, "key", e);
    r.op = ParseOperator(RequiredString(item, "operator", e), e.Child("operator"));
    r.values = OptionalStringList(item, "values", e);
    const bool needs_values = r.op == Operator::kIn || r.op == Operator::kNotIn;
    if (needs_values == r.values.empty()) {
      throw e.Child("values").Error(needs_values ? "In and NotIn need at least one value"
                                                 : "Exists and DoesNotExist take no values");
    }
    out.match_expressions.push_back(std::move(r));
  }
  return out;
}

bool MatchesLabelSelector(const kube::LabelSelector& selector,
                          const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return std::all_of(selector.match_expressions.begin(), selector.match_expressions.end(),
                     [&](const auto& r) { return Matches(r, labels); });
}

}  // namespace fedcrm::op
