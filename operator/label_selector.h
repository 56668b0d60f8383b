// metav1.LabelSelector: parsed from JSON and matched against labels the way
// the API server matches it (matchLabels AND every matchExpression).
#pragma once

#include <map>
#include <string>

#include "kube/resource_key.h"
#include "operator/json_fields.h"

namespace fedcrm::op {

// Parses a selector object ({} selects everything). Throws ConfigError at
// `at` for a malformed one: an unknown operator, In/NotIn without values,
// Exists/DoesNotExist with values.
kube::LabelSelector ParseLabelSelector(const Json& selector, const FieldPath& at);

// In: the key is present with one of the values. NotIn: absent, or present
// with none of them. Exists / DoesNotExist: presence of the key.
bool MatchesLabelSelector(const kube::LabelSelector& selector,
                          const std::map<std::string, std::string>& labels);

}  // namespace fedcrm::op
