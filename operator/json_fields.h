// Typed, defensive reads of the fields of a custom resource. The API server
// validated the object against its schema, but an object stored under an
// older CRD or edited by hand may still be malformed, so every read checks
// the type and throws ConfigError naming the object and the field path
// ("RegionSilo fedcrm/eu-west: spec.privacyBudget.epsilon").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "operator/fedcrm_resources.h"

namespace fedcrm::op {

// Where a field is: the object ("RegionSilo fedcrm/eu-west") and the path of
// the JSON value at hand ("spec.data").
class FieldPath {
 public:
  FieldPath(std::string object, std::string path)
      : object_(std::move(object)), path_(std::move(path)) {}

  FieldPath Child(const std::string& key) const;
  FieldPath Index(size_t i) const;
  std::string ToString() const;
  const std::string& object() const { return object_; }
  ConfigError Error(const std::string& problem) const;

 private:
  std::string object_;
  std::string path_;
};

// "RegionSilo ns/name" from the object's kind and metadata, for messages.
std::string DescribeObject(const Json& object, const std::string& kind);

// The member `key` of `parent` (an object), or nullptr when absent or null.
const Json* FindField(const Json& parent, const std::string& key);

// Each reader throws at.Child(key).Error(...) for a value of the wrong type
// and, for Required*, for a missing one. `parent` must be an object.
const Json& RequiredObject(const Json& parent, const std::string& key, const FieldPath& at);
// The empty object when absent.
const Json& OptionalObject(const Json& parent, const std::string& key, const FieldPath& at);

std::string RequiredString(const Json& parent, const std::string& key, const FieldPath& at);
std::string OptionalString(const Json& parent, const std::string& key, const FieldPath& at,
                           const std::string& fallback);

// Numbers must be finite and within [min, max]; `min_open` excludes min.
double OptionalNumber(const Json& parent, const std::string& key, const FieldPath& at,
                      double fallback, double min, double max, bool min_open = false);
double RequiredNumber(const Json& parent, const std::string& key, const FieldPath& at, double min,
                      double max, bool min_open = false);
int64_t OptionalInteger(const Json& parent, const std::string& key, const FieldPath& at,
                        int64_t fallback, int64_t min, int64_t max);
int64_t RequiredInteger(const Json& parent, const std::string& key, const FieldPath& at,
                        int64_t min, int64_t max);

// An object of string values (labels, a node selector); empty when absent.
std::map<std::string, std::string> OptionalStringMap(const Json& parent, const std::string& key,
                                                     const FieldPath& at);
// A list of strings; empty when absent.
std::vector<std::string> OptionalStringList(const Json& parent, const std::string& key,
                                            const FieldPath& at);

}  // namespace fedcrm::op
