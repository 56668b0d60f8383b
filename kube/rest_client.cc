#include "kube/rest_client.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <boost/asio/ssl/context.hpp>
#include <exception>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "core/common/error.h"
#include "kube/api_error.h"

#ifndef FEDCRM_VERSION
#define FEDCRM_VERSION "unknown"
#endif

namespace fedcrm::kube {
namespace {

namespace http = web::http;
namespace http_client = web::http::client;
using Query = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxMessageInError = 1024;

// "get configmaps ns/name": how errors name a call.
std::string Operation(std::string_view verb, const GroupVersionResource& gvr,
                      std::string_view namespace_, std::string_view name = {}) {
  std::string op(verb);
  op += " " + gvr.resource;
  if (!gvr.group.empty()) op += "." + gvr.group;
  if (!namespace_.empty() || !name.empty()) op += " ";
  if (!namespace_.empty()) op += std::string(namespace_) + (name.empty() ? "" : "/");
  op += name;
  return op;
}

std::string StringField(const Json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Metadata(const Json& object, const char* field) {
  auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? StringField(*it, field) : std::string();
}

// An ApiError from a non-2xx answer: the metav1.Status when the body is one,
// else the start of the raw body.
ApiError StatusError(int code, const std::string& body, const std::string& operation) {
  Json status = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object() && StringField(status, "kind") == "Status") {
    return ApiError(code, StringField(status, "reason"), StringField(status, "message"), operation);
  }
  std::string message = body.substr(0, kMaxMessageInError);
  if (message.empty()) message = "(empty body)";
  return ApiError(code, "", std::move(message), operation);
}

// Replaces the default roots with exactly the configured CA bundle, as
// kubectl does: a public CA must not vouch for a private API server.
void TrustOnly(boost::asio::ssl::context& context, const std::string& ca_pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  BIO_free(bio);
  SSL_CTX_set_cert_store(context.native_handle(), store);
}

// Loads the TLS material once up front, so a bad PEM fails construction with
// a clear message instead of every handshake.
void CheckTlsMaterial(const KubeConfig& config) {
  boost::asio::ssl::context context(boost::asio::ssl::context::tls_client);
  auto check = [&](const char* field, auto load) {
    try {
      load();
    } catch (const std::exception& e) {
      throw ConfigError("kube client for " + config.server,
                        std::string(field) + ": not usable PEM (" + e.what() + ")");
    }
  };
  if (!config.ca_pem.empty()) {
    check("certificate-authority",
          [&] { context.add_certificate_authority(boost::asio::buffer(config.ca_pem)); });
  }
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    throw ConfigError("kube client for " + config.server,
                      "client certificate and key must be given together");
  }
  if (!config.client_cert_pem.empty()) {
    check("client-certificate",
          [&] { context.use_certificate_chain(boost::asio::buffer(config.client_cert_pem)); });
    check("client-key", [&] {
      context.use_private_key(boost::asio::buffer(config.client_key_pem),
                              boost::asio::ssl::context::pem);
    });
  }
}

std::optional<WatchEvent::Type> ParseEventType(const std::string& type) {
  if (type == "ADDED") return WatchEvent::Type::kAdded;
  if (type == "MODIFIED") return WatchEvent::Type::kModified;
  if (type == "DELETED") return WatchEvent::Type::kDeleted;
  if (type == "BOOKMARK") return WatchEvent::Type::kBookmark;
  if (type == "ERROR") return WatchEvent::Type::kError;
  return std::nullopt;
}

const char* PropagationName(PropagationPolicy policy) {
  switch (policy) {
    case PropagationPolicy::kBackground:
      return "Background";
    case PropagationPolicy::kForeground:
      return "Foreground";
    case PropagationPolicy::kOrphan:
      return "Orphan";
    case PropagationPolicy::kDefault:
      break;
  }
  return nullptr;
}

const char* PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJsonPatch:
      return "application/json-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

// Lists omit apiVersion and kind on built-in items; the Client contract
// promises full documents, so they are filled in from the list's.
void CompleteItems(const Json& list, std::vector<Json>& items) {
  std::string api_version = StringField(list, "apiVersion");
  std::string kind = StringField(list, "kind");
  if (kind.size() > 4 && kind.ends_with("List")) kind.resize(kind.size() - 4);
  for (Json& item : items) {
    if (!item.contains("apiVersion") && !api_version.empty()) item["apiVersion"] = api_version;
    if (!item.contains("kind") && !kind.empty()) item["kind"] = kind;
  }
}

}  // namespace

std::string DefaultUserAgent() { return std::string("fedcrm/") + FEDCRM_VERSION; }

struct RestClient::Impl {
  struct Response {
    int status = 0;
    std::string body;
  };

  KubeConfig config;
  RestClientOptions options;
  std::string user_agent;
  std::unique_ptr<http_client::http_client> client;

  http_client::http_client_config MakeConfig(std::chrono::milliseconds timeout) const {
    http_client::http_client_config client_config;
    client_config.set_timeout(timeout);
    client_config.set_validate_certificates(!config.insecure_skip_tls_verify);
    std::string ca = config.ca_pem;
    std::string cert = config.client_cert_pem;
    std::string key = config.client_key_pem;
    client_config.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& context) {
      if (!ca.empty()) TrustOnly(context, ca);
      if (!cert.empty()) {
        context.use_certificate_chain(boost::asio::buffer(cert));
        context.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
      }
    });
    return client_config;
  }

  http::http_request NewRequest(const http::method& method, const std::string& path_and_query,
                                std::string_view accept = "application/json") const {
    http::http_request request(method);
    request.set_request_uri(path_and_query);
    request.headers().add("User-Agent", user_agent);
    request.headers().add("Accept", std::string(accept));
    std::string token = config.BearerToken();
    if (!token.empty()) request.headers().add("Authorization", "Bearer " + token);
    return request;
  }

  TransportError Unreachable(const std::string& operation, const std::exception& e) const {
    return TransportError(operation + ": API server " + config.server + ": " + e.what());
  }

  // One request and its whole answer; throws ApiError for a non-2xx status.
  Json Send(const std::string& operation, const http::method& method,
            const std::string& path_and_query, const Json* body = nullptr,
            const char* content_type = "application/json") {
    http::http_request request = NewRequest(method, path_and_query);
    if (body != nullptr) request.set_body(body->dump(), content_type);
    Response response;
    try {
      http::http_response answer = client->request(request).get();
      response.status = answer.status_code();
      response.body = answer.extract_utf8string(/*ignore_content_type=*/true).get();
    } catch (const std::exception& e) {
      throw Unreachable(operation, e);
    }
    if (response.status < 200 || response.status >= 300) {
      throw StatusError(response.status, response.body, operation);
    }
    if (response.body.empty()) return Json::object();
    Json parsed = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      throw TransportError(operation + ": API server " + config.server +
                           " answered with a body that is not JSON");
    }
    return parsed;
  }

  void Watch(const GroupVersionResource& gvr, std::string_view namespace_,
             const WatchOptions& options, const std::function<bool(const WatchEvent&)>& on_event);
};

RestClient::RestClient(KubeConfig config, RestClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (!config.server.starts_with("https://") && !config.server.starts_with("http://")) {
    throw ConfigError("kube client",
                      "server \"" + config.server + "\": expected an https:// (or http://) URL");
  }
  CheckTlsMaterial(config);
  impl_->config = std::move(config);
  impl_->options = std::move(options);
  impl_->user_agent =
      impl_->options.user_agent.empty() ? DefaultUserAgent() : impl_->options.user_agent;
  try {
    impl_->client = std::make_unique<http_client::http_client>(
        impl_->config.server, impl_->MakeConfig(impl_->options.request_timeout));
  } catch (const std::exception& e) {
    throw ConfigError("kube client", "server \"" + impl_->config.server + "\": " + e.what());
  }
}

RestClient::~RestClient() = default;

const std::string& RestClient::server() const { return impl_->config.server; }

Json RestClient::Get(const GroupVersionResource& gvr, const ObjectKey& key) {
  return impl_->Send(Operation("get", gvr, key.namespace_, key.name), http::methods::GET,
                     ResourcePath(gvr, key.namespace_, key.name));
}

ListResult RestClient::List(const GroupVersionResource& gvr, std::string_view namespace_,
                            const ListOptions& options) {
  Query query;
  if (!options.label_selector.empty()) query.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) query.emplace_back("fieldSelector", options.field_selector);
  if (options.limit > 0) query.emplace_back("limit", std::to_string(options.limit));
  if (!options.continue_token.empty()) query.emplace_back("continue", options.continue_token);
  if (!options.resource_version.empty()) {
    query.emplace_back("resourceVersion", options.resource_version);
  }
  Json list = impl_->Send(Operation("list", gvr, namespace_), http::methods::GET,
                          ResourcePath(gvr, namespace_) + EncodeQuery(query));
  ListResult result;
  if (auto items = list.find("items"); items != list.end() && items->is_array()) {
    result.items = items->get<std::vector<Json>>();
  }
  CompleteItems(list, result.items);
  result.resource_version = Metadata(list, "resourceVersion");
  result.continue_token = Metadata(list, "continue");
  return result;
}

Json RestClient::Create(const GroupVersionResource& gvr, const Json& object) {
  std::string namespace_ = Metadata(object, "namespace");
  std::string name = Metadata(object, "name");
  if (name.empty()) name = Metadata(object, "generateName");
  return impl_->Send(Operation("create", gvr, namespace_, name), http::methods::POST,
                     ResourcePath(gvr, namespace_), &object);
}

namespace {

// Name and namespace of an object a PUT addresses; the name is required.
ObjectKey KeyOf(const Json& object, const std::string& operation) {
  ObjectKey key{Metadata(object, "namespace"), Metadata(object, "name")};
  if (key.name.empty()) throw ConfigError(operation, "the object has no metadata.name");
  return key;
}

}  // namespace

Json RestClient::Update(const GroupVersionResource& gvr, const Json& object) {
  ObjectKey key = KeyOf(object, "update " + gvr.resource);
  return impl_->Send(Operation("update", gvr, key.namespace_, key.name), http::methods::PUT,
                     ResourcePath(gvr, key.namespace_, key.name), &object);
}

Json RestClient::UpdateStatus(const GroupVersionResource& gvr, const Json& object) {
  ObjectKey key = KeyOf(object, "update status of " + gvr.resource);
  return impl_->Send(Operation("update status of", gvr, key.namespace_, key.name),
                     http::methods::PUT, ResourcePath(gvr, key.namespace_, key.name, "status"),
                     &object);
}

Json RestClient::Patch(const GroupVersionResource& gvr, const ObjectKey& key, PatchType type,
                       const Json& patch, const PatchOptions& options,
                       std::string_view subresource) {
  std::string verb = subresource.empty() ? "patch" : "patch " + std::string(subresource) + " of";
  std::string operation = Operation(verb, gvr, key.namespace_, key.name);
  Query query;
  if (type == PatchType::kApply && options.field_manager.empty()) {
    throw ConfigError(operation, "server-side apply needs a field manager");
  }
  if (!options.field_manager.empty()) query.emplace_back("fieldManager", options.field_manager);
  if (type == PatchType::kApply && options.force) query.emplace_back("force", "true");
  return impl_->Send(operation, http::methods::PATCH,
                     ResourcePath(gvr, key.namespace_, key.name, subresource) + EncodeQuery(query),
                     &patch, PatchContentType(type));
}

void RestClient::Delete(const GroupVersionResource& gvr, const ObjectKey& key,
                        const DeleteOptions& options) {
  Json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (const char* policy = PropagationName(options.propagation)) {
    body["propagationPolicy"] = policy;
  }
  if (options.precondition_uid) body["preconditions"] = {{"uid", *options.precondition_uid}};
  impl_->Send(Operation("delete", gvr, key.namespace_, key.name), http::methods::DEL,
              ResourcePath(gvr, key.namespace_, key.name), &body);
}

void RestClient::Watch(const GroupVersionResource& gvr, std::string_view namespace_,
                       const WatchOptions& options,
                       const std::function<bool(const WatchEvent&)>& on_event) {
  impl_->Watch(gvr, namespace_, options, on_event);
}

void RestClient::Impl::Watch(const GroupVersionResource& gvr, std::string_view namespace_,
                             const WatchOptions& watch,
                             const std::function<bool(const WatchEvent&)>& on_event) {
  const std::string operation = Operation("watch", gvr, namespace_);
  Query query{{"watch", "1"}};
  if (watch.allow_bookmarks) query.emplace_back("allowWatchBookmarks", "true");
  if (!watch.resource_version.empty())
    query.emplace_back("resourceVersion", watch.resource_version);
  if (!watch.label_selector.empty()) query.emplace_back("labelSelector", watch.label_selector);
  if (watch.timeout_seconds > 0) {
    query.emplace_back("timeoutSeconds", std::to_string(watch.timeout_seconds));
  }
  if (watch.stop.stop_requested()) return;

  // The client timeout bounds silence on the connection, so a watch gets the
  // server-side timeout plus the usual margin; a stream quiet for longer is
  // dead (bookmarks arrive about once a minute).
  auto timeout = std::chrono::seconds(std::max(watch.timeout_seconds, 0)) + options.request_timeout;
  http_client::http_client watch_client(config.server, MakeConfig(timeout));
  http::http_request request =
      NewRequest(http::methods::GET, ResourcePath(gvr, namespace_) + EncodeQuery(query));

  // A stop cancels the request, which closes the connection and fails a read
  // blocked on the body: Watch returns promptly even on a quiet stream.
  pplx::cancellation_token_source cancel;
  std::stop_callback on_stop(watch.stop, [&cancel] { cancel.cancel(); });

  http::http_response response;
  try {
    response = watch_client.request(request, cancel.get_token()).get();
  } catch (const std::exception& e) {
    if (watch.stop.stop_requested()) return;
    throw Unreachable(operation, e);
  }
  if (response.status_code() != http::status_codes::OK) {
    std::string body;
    try {
      body = response.extract_utf8string(true).get();
    } catch (const std::exception&) {
      // The status code alone still makes a useful error.
    }
    throw StatusError(response.status_code(), body, operation);
  }

  concurrency::streams::istream stream = response.body();
  while (!watch.stop.stop_requested()) {
    concurrency::streams::container_buffer<std::string> line;
    size_t length = 0;
    try {
      length = stream.read_line(line).get();
    } catch (const std::exception& e) {
      if (watch.stop.stop_requested()) return;
      throw Unreachable(operation, e);
    }
    if (watch.stop.stop_requested()) return;
    const std::string& text = line.collection();
    if (text.find_first_not_of(" \r\t") != std::string::npos) {
      Json event = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      std::optional<WatchEvent::Type> type;
      if (event.is_object()) type = ParseEventType(StringField(event, "type"));
      if (!type || !event.contains("object")) {
        throw TransportError(operation + ": API server " + config.server +
                             " sent a malformed watch event: " + text.substr(0, 200));
      }
      WatchEvent delivered{*type, std::move(event["object"])};
      if (*type == WatchEvent::Type::kError) {
        const Json& status = delivered.object;
        int code =
            status.is_object() && status.contains("code") && status["code"].is_number_integer()
                ? status["code"].get<int>()
                : 0;
        ApiError error(code, StringField(status, "reason"), StringField(status, "message"),
                       operation);
        if (error.IsGone()) throw error;
      }
      if (!on_event(delivered)) return;
    } else if (length == 0 && stream.is_eof()) {
      // Only an empty read says the server ended the stream: is_eof() can
      // already hold while complete lines are still buffered.
      return;
    }
  }
}

void SetRestClientIoThreads(size_t threads) {
  try {
    crossplat::threadpool::initialize_with_threads(std::max<size_t>(threads, 1));
  } catch (const std::exception&) {
    // Already started: it keeps its size.
  }
}

}  // namespace fedcrm::kube
