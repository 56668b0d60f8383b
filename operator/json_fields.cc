#include "operator/json_fields.h"

#include <cmath>

namespace fedcrm::op {
namespace {

const Json& EmptyObject() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

std::string Got(const Json& value) {
  std::string dumped = value.dump();
  // A stray megabyte-long value should not become a megabyte-long message.
  if (dumped.size() > 120) dumped = dumped.substr(0, 117) + "...";
  return "got " + dumped;
}

const Json& Present(const Json& parent, const std::string& key, const FieldPath& at) {
  const Json* value = FindField(parent, key);
  if (value == nullptr) throw at.Child(key).Error("missing; expected a value");
  return *value;
}

double CheckNumber(const Json& value, const FieldPath& at, double min, double max, bool min_open) {
  if (!value.is_number()) throw at.Error(Got(value) + "; expected a number");
  const double x = value.get<double>();
  const bool below = min_open ? !(x > min) : !(x >= min);
  if (!std::isfinite(x) || below || x > max) {
    throw at.Error(Got(value) + "; expected a number in " + (min_open ? "(" : "[") +
                   Json(min).dump() + ", " + Json(max).dump() + "]");
  }
  return x;
}

int64_t CheckInteger(const Json& value, const FieldPath& at, int64_t min, int64_t max) {
  if (!value.is_number_integer()) throw at.Error(Got(value) + "; expected an integer");
  const int64_t x = value.get<int64_t>();
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    throw at.Error(Got(value) + "; expected an integer in range");
  }
  if (x < min || x > max) {
    throw at.Error(Got(value) + "; expected an integer in [" + std::to_string(min) + ", " +
                   std::to_string(max) + "]");
  }
  return x;
}

}  // namespace

FieldPath FieldPath::Child(const std::string& key) const {
  return FieldPath(object_, path_.empty() ? key : path_ + "." + key);
}

FieldPath FieldPath::Index(size_t i) const {
  return FieldPath(object_, path_ + "[" + std::to_string(i) + "]");
}

std::string FieldPath::ToString() const { return path_.empty() ? object_ : object_ + ": " + path_; }

ConfigError FieldPath::Error(const std::string& problem) const {
  return ConfigError(ToString(), problem);
}

std::string DescribeObject(const Json& object, const std::string& kind) {
  std::string name = "<unnamed>";
  std::string ns;
  if (object.is_object()) {
    if (const Json* metadata = FindField(object, "metadata"); metadata && metadata->is_object()) {
      if (const Json* n = FindField(*metadata, "name"); n && n->is_string())
        name = n->get<std::string>();
      if (const Json* s = FindField(*metadata, "namespace"); s && s->is_string()) {
        ns = s->get<std::string>();
      }
    }
  }
  return kind + " " + (ns.empty() ? name : ns + "/" + name);
}

const Json* FindField(const Json& parent, const std::string& key) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json& RequiredObject(const Json& parent, const std::string& key, const FieldPath& at) {
  const Json& value = Present(parent, key, at);
  if (!value.is_object()) throw at.Child(key).Error(Got(value) + "; expected an object");
  return value;
}

const Json& OptionalObject(const Json& parent, const std::string& key, const FieldPath& at) {
  if (FindField(parent, key) == nullptr) return EmptyObject();
  return RequiredObject(parent, key, at);
}

std::string RequiredString(const Json& parent, const std::string& key, const FieldPath& at) {
  const Json& value = Present(parent, key, at);
  if (!value.is_string() || value.get<std::string>().empty()) {
    throw at.Child(key).Error(Got(value) + "; expected a non-empty string");
  }
  return value.get<std::string>();
}

std::string OptionalString(const Json& parent, const std::string& key, const FieldPath& at,
                           const std::string& fallback) {
  if (FindField(parent, key) == nullptr) return fallback;
  return RequiredString(parent, key, at);
}

double OptionalNumber(const Json& parent, const std::string& key, const FieldPath& at,
                      double fallback, double min, double max, bool min_open) {
  const Json* value = FindField(parent, key);
  if (value == nullptr) return fallback;
  return CheckNumber(*value, at.Child(key), min, max, min_open);
}

double RequiredNumber(const Json& parent, const std::string& key, const FieldPath& at, double min,
                      double max, bool min_open) {
  return CheckNumber(Present(parent, key, at), at.Child(key), min, max, min_open);
}

int64_t OptionalInteger(const Json& parent, const std::string& key, const FieldPath& at,
                        int64_t fallback, int64_t min, int64_t max) {
  const Json* value = FindField(parent, key);
  if (value == nullptr) return fallback;
  return CheckInteger(*value, at.Child(key), min, max);
}

int64_t RequiredInteger(const Json& parent, const std::string& key, const FieldPath& at,
                        int64_t min, int64_t max) {
  return CheckInteger(Present(parent, key, at), at.Child(key), min, max);
}

std::map<std::string, std::string> OptionalStringMap(const Json& parent, const std::string& key,
                                                     const FieldPath& at) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : OptionalObject(parent, key, at).items()) {
    if (!v.is_string()) throw at.Child(key).Child(k).Error(Got(v) + "; expected a string");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::vector<std::string> OptionalStringList(const Json& parent, const std::string& key,
                                            const FieldPath& at) {
  std::vector<std::string> out;
  const Json* list = FindField(parent, key);
  if (list == nullptr) return out;
  if (!list->is_array()) throw at.Child(key).Error(Got(*list) + "; expected a list of strings");
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    if (!item.is_string()) throw at.Child(key).Index(i).Error(Got(item) + "; expected a string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace fedcrm::op
