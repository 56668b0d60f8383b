#include "kube/fake_client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>
#include <stop_token>
#include <utility>

#include "kube/conditions.h"
#include "kube/resources.h"

namespace fedcrm::kube {
namespace {

std::string GroupResource(const GroupVersionResource& gvr) {
  return gvr.group.empty() ? gvr.resource : gvr.resource + "." + gvr.group;
}

std::string StoreKey(const GroupVersionResource& gvr) { return gvr.group + "/" + gvr.resource; }

std::string Operation(std::string_view verb, const GroupVersionResource& gvr,
                      const ObjectKey& key) {
  std::string op = std::string(verb) + " " + GroupResource(gvr);
  const std::string k = key.ToString();
  return k.empty() ? op : op + " " + k;
}

ApiError NotFound(const GroupVersionResource& gvr, const ObjectKey& key, const std::string& op) {
  return ApiError(404, "NotFound", GroupResource(gvr) + " \"" + key.name + "\" not found", op);
}

ApiError Invalid(const std::string& op, const std::string& message) {
  return ApiError(422, "Invalid", message, op);
}

ApiError BadRequest(const std::string& op, const std::string& message) {
  return ApiError(400, "BadRequest", message, op);
}

ObjectKey KeyOf(const Json& object) {
  ObjectKey key;
  if (!object.is_object()) return key;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return key;
  if (auto ns = meta->find("namespace"); ns != meta->end() && ns->is_string()) {
    key.namespace_ = ns->get<std::string>();
  }
  if (auto name = meta->find("name"); name != meta->end() && name->is_string()) {
    key.name = name->get<std::string>();
  }
  return key;
}

std::string StringAt(const Json& object, std::string_view a, std::string_view b) {
  auto outer = object.find(a);
  if (outer == object.end() || !outer->is_object()) return {};
  auto inner = outer->find(b);
  return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : std::string();
}

// The API server omits empty collections in metadata; normalising them keeps
// "[] vs absent" from looking like a change.
void DropEmptyMetadata(Json& meta) {
  for (const char* field : {"labels", "annotations", "finalizers", "ownerReferences"}) {
    auto it = meta.find(field);
    if (it != meta.end() && (it->is_null() || it->empty())) meta.erase(it);
  }
}

std::vector<std::string> Finalizers(const Json& object) {
  std::vector<std::string> out;
  const Json& meta = object.at("metadata");
  auto it = meta.find("finalizers");
  if (it == meta.end() || !it->is_array()) return out;
  for (const Json& f : *it) {
    if (f.is_string()) out.push_back(f.get<std::string>());
  }
  return out;
}

bool IsDeleting(const Json& object) { return object.at("metadata").contains("deletionTimestamp"); }

// Everything but metadata and status: what metadata.generation tracks.
Json SpecPart(Json object) {
  object.erase("metadata");
  object.erase("status");
  object.erase("apiVersion");
  object.erase("kind");
  return object;
}

// --- Label selectors in the API string form ---

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsLabelChar(char c, bool allow_slash) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         (allow_slash && c == '/');
}

bool IsLabelToken(std::string_view s, bool allow_slash) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return IsLabelChar(c, allow_slash); });
}

// Splits on commas outside parentheses.
std::vector<std::string_view> SplitRequirements(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (text[i] == ',' && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::vector<std::string> ParseValueSet(std::string_view text, const std::string& where) {
  text = Trim(text);
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    throw std::invalid_argument(where + ": expected a parenthesised value list");
  }
  std::vector<std::string> values;
  std::string_view inner = text.substr(1, text.size() - 2);
  if (Trim(inner).empty()) throw std::invalid_argument(where + ": the value list is empty");
  std::size_t start = 0;
  while (true) {
    std::size_t comma = inner.find(',', start);
    std::string_view value = Trim(inner.substr(start, comma - start));
    if (!IsLabelToken(value, false)) {
      throw std::invalid_argument(where + ": invalid value '" + std::string(value) + "'");
    }
    values.emplace_back(value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return values;
}

Requirement ParseRequirement(std::string_view text) {
  const std::string where = "requirement '" + std::string(text) + "'";
  text = Trim(text);
  Requirement req;
  if (!text.empty() && text.front() == '!') {
    req.op = Requirement::Op::kDoesNotExist;
    req.key = std::string(Trim(text.substr(1)));
    if (req.key.empty() || !IsLabelToken(req.key, true)) {
      throw std::invalid_argument(where + ": invalid key");
    }
    return req;
  }
  std::size_t end = 0;
  while (end < text.size() && IsLabelChar(text[end], true)) ++end;
  req.key = std::string(text.substr(0, end));
  if (req.key.empty()) throw std::invalid_argument(where + ": missing key");
  std::string_view rest = Trim(text.substr(end));
  auto value_after = [&](std::size_t n) {
    std::string_view value = Trim(rest.substr(n));
    if (!IsLabelToken(value, false)) {
      throw std::invalid_argument(where + ": invalid value '" + std::string(value) + "'");
    }
    return std::vector<std::string>{std::string(value)};
  };
  auto keyword = [&](std::string_view word) {
    return rest.substr(0, word.size()) == word &&
           (rest.size() == word.size() || rest[word.size()] == '(' ||
            std::isspace(static_cast<unsigned char>(rest[word.size()])));
  };
  if (rest.empty()) {
    req.op = Requirement::Op::kExists;
  } else if (rest.substr(0, 2) == "==") {
    req.op = Requirement::Op::kEquals;
    req.values = value_after(2);
  } else if (rest.substr(0, 2) == "!=") {
    req.op = Requirement::Op::kNotEquals;
    req.values = value_after(2);
  } else if (rest.front() == '=') {
    req.op = Requirement::Op::kEquals;
    req.values = value_after(1);
  } else if (keyword("notin")) {
    req.op = Requirement::Op::kNotIn;
    req.values = ParseValueSet(rest.substr(5), where);
  } else if (keyword("in")) {
    req.op = Requirement::Op::kIn;
    req.values = ParseValueSet(rest.substr(2), where);
  } else {
    throw std::invalid_argument(where + ": expected =, ==, !=, in or notin after the key");
  }
  return req;
}

std::vector<Requirement> ParseSelector(std::string_view text) {
  std::vector<Requirement> out;
  if (Trim(text).empty()) return out;
  for (std::string_view part : SplitRequirements(text)) out.push_back(ParseRequirement(part));
  return out;
}

bool Matches(const std::vector<Requirement>& selector, const Json& object) {
  const Json* labels = nullptr;
  const Json& meta = object.at("metadata");
  if (auto it = meta.find("labels"); it != meta.end() && it->is_object()) labels = &*it;
  for (const Requirement& req : selector) {
    const Json* value = nullptr;
    if (labels != nullptr) {
      if (auto it = labels->find(req.key); it != labels->end() && it->is_string()) value = &*it;
    }
    const bool has = value != nullptr;
    const std::string v = has ? value->get<std::string>() : std::string();
    const bool in_set = std::find(req.values.begin(), req.values.end(), v) != req.values.end();
    bool ok = false;
    switch (req.op) {
      case Requirement::Op::kEquals:
      case Requirement::Op::kIn:
        ok = has && in_set;
        break;
      case Requirement::Op::kNotEquals:
      case Requirement::Op::kNotIn:
        ok = !has || !in_set;
        break;
      case Requirement::Op::kExists:
        ok = has;
        break;
      case Requirement::Op::kDoesNotExist:
        ok = !has;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

// --- Field selectors: "path.to.field=value" / "!=" on string fields ---

struct FieldRequirement {
  std::vector<std::string> path;
  bool negate = false;
  std::string value;
};

std::vector<FieldRequirement> ParseFieldSelector(std::string_view text) {
  std::vector<FieldRequirement> out;
  if (Trim(text).empty()) return out;
  for (std::string_view part : SplitRequirements(text)) {
    part = Trim(part);
    FieldRequirement req;
    std::size_t op = part.find_first_of("!=");
    if (op == std::string_view::npos || op == 0) {
      throw std::invalid_argument("field selector '" + std::string(part) + "': expected f=v");
    }
    std::string_view field = Trim(part.substr(0, op));
    std::string_view rest = part.substr(op);
    std::size_t skip = rest.starts_with("!=") || rest.starts_with("==") ? 2 : 1;
    if (rest.front() == '!' && !rest.starts_with("!=")) {
      throw std::invalid_argument("field selector '" + std::string(part) + "': expected !=");
    }
    req.negate = rest.starts_with("!=");
    req.value = std::string(Trim(rest.substr(skip)));
    std::size_t start = 0;
    while (true) {
      std::size_t dot = field.find('.', start);
      req.path.emplace_back(field.substr(start, dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    out.push_back(std::move(req));
  }
  return out;
}

bool MatchesFields(const std::vector<FieldRequirement>& selector, const Json& object) {
  for (const FieldRequirement& req : selector) {
    const Json* node = &object;
    for (const std::string& step : req.path) {
      if (node == nullptr || !node->is_object()) {
        node = nullptr;
        break;
      }
      auto it = node->find(step);
      node = it == node->end() ? nullptr : &*it;
    }
    std::string actual;
    if (node != nullptr) actual = node->is_string() ? node->get<std::string>() : node->dump();
    if ((actual == req.value) == req.negate) return false;
  }
  return true;
}

const std::vector<GroupVersionResource>& BuiltinStatusResources() {
  static const std::vector<GroupVersionResource> kBuiltins = {
      resources::kNamespaces, resources::kNodes,      resources::kPods,
      resources::kJobs,       {"", "v1", "services"}, {"apps", "v1", "deployments"}};
  return kBuiltins;
}

}  // namespace

const char* VerbName(FakeClient::Verb verb) {
  switch (verb) {
    case FakeClient::Verb::kGet:
      return "get";
    case FakeClient::Verb::kList:
      return "list";
    case FakeClient::Verb::kWatch:
      return "watch";
    case FakeClient::Verb::kCreate:
      return "create";
    case FakeClient::Verb::kUpdate:
      return "update";
    case FakeClient::Verb::kPatch:
      return "patch";
    case FakeClient::Verb::kDelete:
      return "delete";
  }
  return "unknown";
}

FakeClient::FakeClient() : now_([] { return std::chrono::system_clock::now(); }) {
  std::random_device random;
  uid_prefix_ = random();
  for (const GroupVersionResource& gvr : BuiltinStatusResources()) {
    status_resources_.insert(StoreKey(gvr));
  }
}

FakeClient::~FakeClient() {
  std::unique_lock<std::mutex> lock(mu_);
  shutting_down_ = true;
  events_cv_.notify_all();
  events_cv_.wait(lock, [this] { return num_watchers_ == 0; });
}

void FakeClient::Begin(Verb verb, const GroupVersionResource& gvr, ObjectKey key,
                       std::string_view subresource) {
  std::lock_guard<std::mutex> guard(mu_);
  actions_.push_back({verb, gvr, std::move(key), std::string(subresource)});
  for (auto it = error_rules_.begin(); it != error_rules_.end(); ++it) {
    const bool gvr_matches = it->gvr.resource.empty() || StoreKey(it->gvr) == StoreKey(gvr);
    const bool sub_matches = it->subresource == "*" || it->subresource == subresource;
    if (it->verb != verb || !gvr_matches || !sub_matches) continue;
    ApiError error = it->error;
    if (--it->remaining <= 0) error_rules_.erase(it);
    throw error;
  }
}

bool FakeClient::HasStatus(const GroupVersionResource& gvr) const {
  std::lock_guard<std::mutex> guard(status_mu_);
  return status_resources_.count(StoreKey(gvr)) > 0;
}

std::string FakeClient::NextVersion() { return std::to_string(++version_); }

std::string FakeClient::Timestamp() const { return FormatRfc3339(now_()); }

void FakeClient::NewMetadata(Json& object) {
  Json& meta = object["metadata"];
  if (!meta.contains("uid")) {
    char uid[40];
    std::snprintf(uid, sizeof(uid), "%08x-0000-4000-8000-%012llx", uid_prefix_,
                  static_cast<unsigned long long>(next_uid_++));
    meta["uid"] = uid;
  }
  if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = Timestamp();
  if (!meta.contains("generation")) meta["generation"] = 1;
  meta["resourceVersion"] = NextVersion();
  DropEmptyMetadata(meta);
}

Json FakeClient::CreateLocked(const GroupVersionResource& gvr, Json object, bool keep_status) {
  ObjectKey key = KeyOf(object);
  const std::string op = Operation("create", gvr, key);
  Json& meta = object["metadata"];
  if (key.name.empty()) {
    const std::string prefix = StringAt(object, "metadata", "generateName");
    if (prefix.empty()) {
      throw Invalid(op, "metadata.name: Required value: name or generateName is required");
    }
    static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::int64_t n = version_ + 1 + next_uid_ * 7919;
    std::string suffix;
    for (int i = 0; i < 5; ++i, n /= 27) suffix += kAlphabet[n % 27];
    key.name = prefix + suffix;
    meta["name"] = key.name;
  }
  if (!IsValidObjectName(key.name)) {
    throw Invalid(op, "metadata.name: Invalid value: \"" + key.name +
                          "\": a lowercase RFC 1123 subdomain must consist of lower case "
                          "alphanumeric characters, '-' or '.'");
  }
  Stored& store = stores_[StoreKey(gvr)];
  if (store.objects.count(key) > 0) {
    throw ApiError(409, "AlreadyExists",
                   GroupResource(gvr) + " \"" + key.name + "\" already exists", op);
  }
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "generation", "resourceVersion"}) {
    meta.erase(field);
  }
  if (!keep_status) object.erase("status");
  NewMetadata(object);
  store.objects[key] = object;
  AppendEvent(gvr, WatchEvent::Type::kAdded, object);
  return object;
}

Json FakeClient::CommitLocked(const GroupVersionResource& gvr, const ObjectKey& key, Json candidate,
                              bool status_only, const std::string& operation) {
  Stored& store = stores_[StoreKey(gvr)];
  auto it = store.objects.find(key);
  if (it == store.objects.end()) throw NotFound(gvr, key, operation);
  const Json& stored = it->second;
  if (!candidate.is_object() || !candidate.contains("metadata") ||
      !candidate["metadata"].is_object()) {
    throw Invalid(operation, "the object must be a JSON object with metadata");
  }
  const Json& stored_meta = stored.at("metadata");
  const std::string version = StringAt(candidate, "metadata", "resourceVersion");
  if (!version.empty() && version != stored_meta.at("resourceVersion").get<std::string>()) {
    throw ApiError(409, "Conflict",
                   "Operation cannot be fulfilled on " + GroupResource(gvr) + " \"" + key.name +
                       "\": the object has been modified; please apply your changes to the "
                       "latest version and try again",
                   operation);
  }
  const std::string uid = StringAt(candidate, "metadata", "uid");
  if (!uid.empty() && uid != stored_meta.at("uid").get<std::string>()) {
    throw ApiError(409, "Conflict",
                   "Precondition failed: UID in precondition: " + uid +
                       ", UID in object meta: " + stored_meta.at("uid").get<std::string>(),
                   operation);
  }
  if (KeyOf(candidate) != key) {
    throw Invalid(operation, "metadata.name/namespace: Invalid value: may not change from \"" +
                                 key.ToString() + "\" to \"" + KeyOf(candidate).ToString() + "\"");
  }

  Json next;
  if (status_only) {
    next = stored;
    if (candidate.contains("status")) {
      next["status"] = candidate["status"];
    } else {
      next.erase("status");
    }
  } else {
    next = std::move(candidate);
    if (HasStatus(gvr)) {
      if (stored.contains("status")) {
        next["status"] = stored["status"];
      } else {
        next.erase("status");
      }
    }
    if (!next.contains("apiVersion") && stored.contains("apiVersion")) {
      next["apiVersion"] = stored["apiVersion"];
    }
    if (!next.contains("kind") && stored.contains("kind")) next["kind"] = stored["kind"];
    Json& meta = next["metadata"];
    for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation", "resourceVersion"}) {
      if (stored_meta.contains(field)) {
        meta[field] = stored_meta[field];
      } else {
        meta.erase(field);
      }
    }
    DropEmptyMetadata(meta);
  }

  if (IsDeleting(stored)) {
    std::vector<std::string> before = Finalizers(stored);
    for (const std::string& f : Finalizers(next)) {
      if (std::find(before.begin(), before.end(), f) == before.end()) {
        throw Invalid(operation,
                      "metadata.finalizers: Forbidden: no new finalizers can be added "
                      "if the object is being deleted, found new finalizers [\"" +
                          f + "\"]");
      }
    }
  }
  if (next == stored) return next;  // a no-op write makes no new version

  Json& meta = next["metadata"];
  if (!status_only && SpecPart(next) != SpecPart(stored)) {
    meta["generation"] = meta.value("generation", std::int64_t{0}) + 1;
  }
  meta["resourceVersion"] = NextVersion();
  if (IsDeleting(next) && Finalizers(next).empty()) {
    store.objects.erase(it);
    AppendEvent(gvr, WatchEvent::Type::kDeleted, next);
    return next;
  }
  it->second = next;
  AppendEvent(gvr, WatchEvent::Type::kModified, next);
  return next;
}

void FakeClient::AppendEvent(const GroupVersionResource& gvr, WatchEvent::Type type,
                             const Json& object) {
  LoggedEvent logged{version_, StoreKey(gvr), KeyOf(object).namespace_, {type, object}};
  events_.push_back(std::move(logged));
  events_cv_.notify_all();
}

Json FakeClient::Get(const GroupVersionResource& gvr, const ObjectKey& key) {
  Begin(Verb::kGet, gvr, key, "");
  std::lock_guard<std::mutex> guard(mu_);
  const Stored& store = stores_[StoreKey(gvr)];
  auto it = store.objects.find(key);
  if (it == store.objects.end()) throw NotFound(gvr, key, Operation("get", gvr, key));
  return it->second;
}

ListResult FakeClient::List(const GroupVersionResource& gvr, std::string_view namespace_,
                            const ListOptions& options) {
  const ObjectKey ns_key{std::string(namespace_), ""};
  Begin(Verb::kList, gvr, ns_key, "");
  const std::string op = Operation("list", gvr, ns_key);
  std::vector<Requirement> labels;
  std::vector<FieldRequirement> fields;
  try {
    labels = ParseSelector(options.label_selector);
    fields = ParseFieldSelector(options.field_selector);
  } catch (const std::invalid_argument& e) {
    throw BadRequest(op, std::string("unable to parse selector: ") + e.what());
  }
  if (options.limit < 0) throw BadRequest(op, "limit must not be negative");
  std::lock_guard<std::mutex> guard(mu_);
  const Stored& store = stores_[StoreKey(gvr)];
  auto it = store.objects.begin();
  if (!options.continue_token.empty()) {
    // The token is the key of the last item served; the next page starts
    // after it even if that object has since been deleted.
    const std::string& token = options.continue_token;
    std::size_t slash = token.find('/');
    ObjectKey after = slash == std::string::npos
                          ? ObjectKey{"", token}
                          : ObjectKey{token.substr(0, slash), token.substr(slash + 1)};
    it = store.objects.upper_bound(after);
  }
  ListResult result;
  result.resource_version = std::to_string(version_);
  for (; it != store.objects.end(); ++it) {
    if (!namespace_.empty() && it->first.namespace_ != namespace_) continue;
    if (!Matches(labels, it->second) || !MatchesFields(fields, it->second)) continue;
    if (options.limit > 0 && static_cast<std::int64_t>(result.items.size()) == options.limit) {
      result.continue_token = KeyOf(result.items.back()).ToString();
      if (KeyOf(result.items.back()).namespace_.empty()) {
        result.continue_token = "/" + result.continue_token;
      }
      break;
    }
    result.items.push_back(it->second);
  }
  return result;
}

Json FakeClient::Create(const GroupVersionResource& gvr, const Json& object) {
  const ObjectKey key = KeyOf(object);
  Begin(Verb::kCreate, gvr, key, "");
  const std::string op = Operation("create", gvr, key);
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    throw Invalid(op, "the object must be a JSON object with metadata");
  }
  if (!StringAt(object, "metadata", "resourceVersion").empty()) {
    throw BadRequest(op, "resourceVersion should not be set on objects to be created");
  }
  std::lock_guard<std::mutex> guard(mu_);
  return CreateLocked(gvr, object, !HasStatus(gvr));
}

Json FakeClient::Update(const GroupVersionResource& gvr, const Json& object) {
  const ObjectKey key = KeyOf(object);
  Begin(Verb::kUpdate, gvr, key, "");
  std::lock_guard<std::mutex> guard(mu_);
  return CommitLocked(gvr, key, object, false, Operation("update", gvr, key));
}

Json FakeClient::UpdateStatus(const GroupVersionResource& gvr, const Json& object) {
  const ObjectKey key = KeyOf(object);
  Begin(Verb::kUpdate, gvr, key, "status");
  const std::string op = Operation("update", gvr, key) + " status";
  std::lock_guard<std::mutex> guard(mu_);
  if (!HasStatus(gvr)) {
    throw ApiError(404, "NotFound", "the server could not find the requested resource", op);
  }
  return CommitLocked(gvr, key, object, true, op);
}

Json FakeClient::Patch(const GroupVersionResource& gvr, const ObjectKey& key, PatchType type,
                       const Json& patch, const PatchOptions& options,
                       std::string_view subresource) {
  Begin(Verb::kPatch, gvr, key, subresource);
  std::string op = Operation("patch", gvr, key);
  if (!subresource.empty()) op.append(" ").append(subresource);
  const bool status = subresource == "status";
  if ((!subresource.empty() && !status) || (status && !HasStatus(gvr))) {
    throw ApiError(404, "NotFound", "the server could not find the requested resource", op);
  }
  if (type == PatchType::kApply && options.field_manager.empty()) {
    throw BadRequest(op, "PATCH, fieldManager is required for apply requests");
  }
  if (type != PatchType::kJsonPatch && !patch.is_object()) {
    throw BadRequest(op, "a merge or apply patch must be a JSON object");
  }
  if (type == PatchType::kJsonPatch && !patch.is_array()) {
    throw BadRequest(op, "a JSON patch must be an array of operations");
  }
  std::lock_guard<std::mutex> guard(mu_);
  Stored& store = stores_[StoreKey(gvr)];
  auto it = store.objects.find(key);
  if (it == store.objects.end()) {
    if (type != PatchType::kApply || status) throw NotFound(gvr, key, op);
    Json object = patch;
    object["metadata"]["name"] = key.name;
    if (!key.namespace_.empty()) object["metadata"]["namespace"] = key.namespace_;
    object["metadata"].erase("resourceVersion");
    return CreateLocked(gvr, object, !HasStatus(gvr));
  }
  Json patched = it->second;
  if (type == PatchType::kJsonPatch) {
    try {
      patched = patched.patch(patch);
    } catch (const Json::exception& e) {
      throw Invalid(op, std::string("the JSON patch could not be applied: ") + e.what());
    }
  } else {
    patched.merge_patch(patch);
  }
  return CommitLocked(gvr, key, std::move(patched), status, op);
}

void FakeClient::Delete(const GroupVersionResource& gvr, const ObjectKey& key,
                        const DeleteOptions& options) {
  Begin(Verb::kDelete, gvr, key, "");
  const std::string op = Operation("delete", gvr, key);
  std::lock_guard<std::mutex> guard(mu_);
  Stored& store = stores_[StoreKey(gvr)];
  auto it = store.objects.find(key);
  if (it == store.objects.end()) throw NotFound(gvr, key, op);
  Json& object = it->second;
  Json& meta = object["metadata"];
  const std::string uid = meta.value("uid", std::string());
  if (options.precondition_uid && *options.precondition_uid != uid) {
    throw ApiError(409, "Conflict",
                   "Precondition failed: UID in precondition: " + *options.precondition_uid +
                       ", UID in object meta: " + uid,
                   op);
  }
  if (Finalizers(object).empty()) {
    Json gone = std::move(object);
    store.objects.erase(it);
    gone["metadata"]["resourceVersion"] = NextVersion();
    AppendEvent(gvr, WatchEvent::Type::kDeleted, gone);
    return;
  }
  if (IsDeleting(object)) return;  // already marked: deleting again changes nothing
  meta["deletionTimestamp"] = Timestamp();
  meta["deletionGracePeriodSeconds"] = 0;
  // As the API server's markAsDeleting: marking for deletion is a change of
  // intent, so generation moves too.
  meta["generation"] = meta.value("generation", std::int64_t{0}) + 1;
  meta["resourceVersion"] = NextVersion();
  AppendEvent(gvr, WatchEvent::Type::kModified, object);
}

void FakeClient::Watch(const GroupVersionResource& gvr, std::string_view namespace_,
                       const WatchOptions& options,
                       const std::function<bool(const WatchEvent&)>& on_event) {
  const ObjectKey ns_key{std::string(namespace_), ""};
  Begin(Verb::kWatch, gvr, ns_key, "");
  const std::string op = Operation("watch", gvr, ns_key);
  std::vector<Requirement> selector;
  try {
    selector = ParseSelector(options.label_selector);
  } catch (const std::invalid_argument& e) {
    throw BadRequest(op, std::string("unable to parse selector: ") + e.what());
  }
  // Registered before taking mu_: it runs inline when a stop is already
  // requested, and it takes mu_ itself so a waiter can't miss the wake-up.
  std::stop_callback on_stop(options.stop, [this] {
    std::lock_guard<std::mutex> guard(mu_);
    events_cv_.notify_all();
  });

  std::unique_lock<std::mutex> lock(mu_);
  const std::string store_key = StoreKey(gvr);
  std::vector<WatchEvent> pending;
  std::int64_t cursor = version_;
  const std::string& from = options.resource_version;
  if (from.empty() || from == "0") {
    for (const auto& [key, object] : stores_[store_key].objects) {
      if (!namespace_.empty() && key.namespace_ != namespace_) continue;
      if (Matches(selector, object)) pending.push_back({WatchEvent::Type::kAdded, object});
    }
  } else {
    try {
      std::size_t used = 0;
      cursor = std::stoll(from, &used);
      if (used != from.size()) throw std::invalid_argument(from);
    } catch (const std::exception&) {
      throw BadRequest(op, "invalid resourceVersion '" + from + "'");
    }
    if (cursor < compacted_version_) {
      throw ApiError(
          410, "Expired",
          "too old resource version: " + from + " (" + std::to_string(compacted_version_) + ")",
          op);
    }
  }
  const int limit = watch_event_limit_;
  const std::int64_t epoch = close_epoch_;
  ++num_watchers_;
  struct Leave {
    FakeClient* self;
    std::unique_lock<std::mutex>* lock;
    ~Leave() {
      if (!lock->owns_lock()) lock->lock();
      --self->num_watchers_;
      self->events_cv_.notify_all();
    }
  } leave{this, &lock};

  int delivered = 0;
  while (true) {
    auto first =
        std::upper_bound(events_.begin(), events_.end(), cursor,
                         [](std::int64_t v, const LoggedEvent& e) { return v < e.version; });
    for (; first != events_.end(); ++first) {
      cursor = first->version;
      if (first->store_key != store_key) continue;
      if (!namespace_.empty() && first->namespace_ != namespace_) continue;
      if (Matches(selector, first->event.object)) pending.push_back(first->event);
    }
    if (pending.empty()) {
      if (options.stop.stop_requested() || shutting_down_ || epoch != close_epoch_) return;
      events_cv_.wait(lock);
      continue;
    }
    lock.unlock();
    for (const WatchEvent& event : pending) {
      if (options.stop.stop_requested()) return;
      if (!on_event(event)) return;
      if (limit > 0 && ++delivered >= limit) return;
    }
    pending.clear();
    lock.lock();
  }
}

void FakeClient::RegisterStatusSubresource(const GroupVersionResource& gvr) {
  std::lock_guard<std::mutex> guard(status_mu_);
  status_resources_.insert(StoreKey(gvr));
}

void FakeClient::InjectError(Verb verb, const GroupVersionResource& gvr, ApiError error, int count,
                             std::string_view subresource) {
  if (count <= 0) return;
  std::lock_guard<std::mutex> guard(mu_);
  error_rules_.push_back({verb, gvr, std::string(subresource), std::move(error), count});
}

Json FakeClient::AddObject(const GroupVersionResource& gvr, const Json& object) {
  std::lock_guard<std::mutex> guard(mu_);
  const ObjectKey key = KeyOf(object);
  if (key.name.empty()) {
    throw Invalid(Operation("add", gvr, key), "AddObject needs metadata.name");
  }
  Json stored = object;
  NewMetadata(stored);
  Stored& store = stores_[StoreKey(gvr)];
  const bool existed = store.objects.count(key) > 0;
  store.objects[key] = stored;
  AppendEvent(gvr, existed ? WatchEvent::Type::kModified : WatchEvent::Type::kAdded, stored);
  return stored;
}

std::vector<FakeClient::Action> FakeClient::Actions() const {
  std::lock_guard<std::mutex> guard(mu_);
  return actions_;
}

void FakeClient::ClearActions() {
  std::lock_guard<std::mutex> guard(mu_);
  actions_.clear();
}

void FakeClient::SetNow(WallClock now) {
  std::lock_guard<std::mutex> guard(mu_);
  now_ = std::move(now);
}

void FakeClient::SetWatchEventLimit(int max_events) {
  std::lock_guard<std::mutex> guard(mu_);
  watch_event_limit_ = max_events;
}

void FakeClient::CloseWatches() {
  std::lock_guard<std::mutex> guard(mu_);
  ++close_epoch_;
  events_cv_.notify_all();
}

void FakeClient::CompactWatchHistory() {
  std::lock_guard<std::mutex> guard(mu_);
  events_.clear();
  compacted_version_ = version_;
}

int FakeClient::NumWatchers() const {
  std::lock_guard<std::mutex> guard(mu_);
  return num_watchers_;
}

std::string FakeClient::ResourceVersion() const {
  std::lock_guard<std::mutex> guard(mu_);
  return std::to_string(version_);
}

}  // namespace fedcrm::kube
