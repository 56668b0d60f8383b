#include "kube/resource_key.h"

#include <algorithm>

#include "core/common/error.h"

namespace fedcrm::kube {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A path segment must not be able to escape its place in the URL.
void CheckSegment(std::string_view what, std::string_view value) {
  if (value == "." || value == ".." || value.find_first_of("/%?#") != std::string_view::npos) {
    throw ConfigError("resource path " + std::string(what),
                      "'" + std::string(value) + "' may not be '.', '..' or contain / % ? #");
  }
}

}  // namespace

std::string ObjectKey::ToString() const {
  return namespace_.empty() ? name : namespace_ + "/" + name;
}

bool IsValidObjectName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsValidNamespace(std::string_view name) {
  return name.size() <= 63 && name.find('.') == std::string_view::npos && IsValidObjectName(name);
}

ObjectKey ParseObjectKey(std::string_view key) {
  const std::string where = "object key '" + std::string(key) + "'";
  ObjectKey out;
  std::size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    out.name = std::string(key);
  } else {
    if (key.find('/', slash + 1) != std::string_view::npos) {
      throw ConfigError(where, "expected 'namespace/name' or 'name', found more than one '/'");
    }
    out.namespace_ = std::string(key.substr(0, slash));
    out.name = std::string(key.substr(slash + 1));
    if (!IsValidNamespace(out.namespace_)) {
      throw ConfigError(where,
                        "namespace '" + out.namespace_ + "' is not a lower-case RFC 1123 name");
    }
  }
  if (!IsValidObjectName(out.name)) {
    throw ConfigError(where, "name '" + out.name + "' is not a lower-case RFC 1123 subdomain");
  }
  return out;
}

std::string ResourcePath(const GroupVersionResource& gvr, std::string_view namespace_,
                         std::string_view name, std::string_view subresource) {
  if (gvr.version.empty()) throw ConfigError("resource path version", "must not be empty");
  if (gvr.resource.empty()) throw ConfigError("resource path resource", "must not be empty");
  if (!subresource.empty() && name.empty()) {
    throw ConfigError("resource path subresource",
                      "'" + std::string(subresource) + "' needs an object name");
  }
  CheckSegment("group", gvr.group);
  CheckSegment("version", gvr.version);
  CheckSegment("resource", gvr.resource);
  std::string path =
      gvr.group.empty() ? "/api/" + gvr.version : "/apis/" + gvr.group + "/" + gvr.version;
  if (!namespace_.empty()) {
    CheckSegment("namespace", namespace_);
    path.append("/namespaces/").append(namespace_);
  }
  path.append("/").append(gvr.resource);
  if (!name.empty()) {
    CheckSegment("name", name);
    path.append("/").append(name);
  }
  if (!subresource.empty()) {
    CheckSegment("subresource", subresource);
    path.append("/").append(subresource);
  }
  return path;
}

std::string FormatLabelSelector(const LabelSelector& selector) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : selector.match_labels) {
    parts.push_back(key);
    parts.back().append("=").append(value);
  }
  using Op = LabelSelectorRequirement::Operator;
  for (const LabelSelectorRequirement& r : selector.match_expressions) {
    const std::string where = "label selector requirement '" + r.key + "'";
    if (r.key.empty()) throw ConfigError("label selector requirement", "key must not be empty");
    switch (r.op) {
      case Op::kIn:
      case Op::kNotIn: {
        if (r.values.empty()) throw ConfigError(where, "In and NotIn need at least one value");
        std::vector<std::string> values = r.values;
        // The API server sorts the values too; sorting keeps selectors comparable.
        std::sort(values.begin(), values.end());
        std::string joined;
        for (const std::string& v : values) joined.append(joined.empty() ? "" : ",").append(v);
        parts.push_back(r.key + (r.op == Op::kIn ? " in (" : " notin (") + joined + ")");
        break;
      }
      case Op::kExists:
      case Op::kDoesNotExist:
        if (!r.values.empty()) {
          throw ConfigError(where, "Exists and DoesNotExist take no values");
        }
        parts.push_back(r.op == Op::kExists ? r.key : "!" + r.key);
        break;
    }
  }
  std::string out;
  for (const std::string& p : parts) out.append(out.empty() ? "" : ",").append(p);
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    out.append(out.empty() ? "?" : "&")
        .append(PercentEncode(key))
        .append("=")
        .append(PercentEncode(value));
  }
  return out;
}

}  // namespace fedcrm::kube
