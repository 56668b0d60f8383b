#include "kube/kube_config.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/common/error.h"
#include "kube/resource_key.h"

namespace fedcrm::kube {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return out.str();
}

std::string Trim(std::string s) {
  const char* kSpace = " \t\r\n";
  s.erase(s.find_last_not_of(kSpace) + 1);
  s.erase(0, s.find_first_not_of(kSpace));
  return s;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Reads one kubeconfig document, naming fields as "users[0].user.token".
class KubeconfigReader {
 public:
  KubeconfigReader(const std::string& source, const std::string& base_dir,
                   const KubeconfigOptions& options)
      : source_(source), base_dir_(base_dir), options_(options) {}

  KubeConfig Read(std::string_view text);

 private:
  [[noreturn]] void Fail(const std::string& field, const std::string& problem) const {
    throw ConfigError("kubeconfig " + source_ + (field.empty() ? "" : ": " + field), problem);
  }
  // The index of the entry named `name` in the list `list` ("clusters").
  YAML::Node FindNamed(const YAML::Node& root, const std::string& list, const std::string& name,
                       const std::string& referrer, std::string* path);
  std::string String(const YAML::Node& map, const std::string& key, const std::string& path);
  bool Bool(const YAML::Node& map, const std::string& key, const std::string& path);
  // The `<key>-data` (base64) or `<key>` (file) value; "" when neither.
  std::string DataOrFile(const YAML::Node& map, const std::string& key, const std::string& path);
  std::string Resolve(const std::string& file) const;

  std::string source_;
  std::string base_dir_;
  KubeconfigOptions options_;
};

std::string KubeconfigReader::Resolve(const std::string& file) const {
  fs::path p(file);
  if (p.is_absolute() || base_dir_.empty()) return p.string();
  return (fs::path(base_dir_) / p).lexically_normal().string();
}

std::string KubeconfigReader::String(const YAML::Node& map, const std::string& key,
                                     const std::string& path) {
  YAML::Node node = map[key];
  if (!node || node.IsNull()) return "";
  if (!node.IsScalar()) Fail(path + "." + key, "expected a string");
  return node.as<std::string>();
}

bool KubeconfigReader::Bool(const YAML::Node& map, const std::string& key,
                            const std::string& path) {
  YAML::Node node = map[key];
  if (!node || node.IsNull()) return false;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    Fail(path + "." + key, "expected true or false");
  }
  return value;
}

std::string KubeconfigReader::DataOrFile(const YAML::Node& map, const std::string& key,
                                         const std::string& path) {
  std::string data = String(map, key + "-data", path);
  std::string file = String(map, key, path);
  if (!data.empty() && !file.empty()) {
    Fail(path + "." + key, "set either " + key + " or " + key + "-data, not both");
  }
  if (!data.empty()) {
    std::optional<std::string> decoded = DecodeBase64(data);
    if (!decoded) Fail(path + "." + key + "-data", "not valid base64");
    return *decoded;
  }
  if (file.empty()) return "";
  std::string resolved = Resolve(file);
  std::optional<std::string> content = ReadWholeFile(resolved);
  if (!content) Fail(path + "." + key, "cannot read file " + resolved);
  return *content;
}

YAML::Node KubeconfigReader::FindNamed(const YAML::Node& root, const std::string& list,
                                       const std::string& name, const std::string& referrer,
                                       std::string* path) {
  YAML::Node entries = root[list];
  if (entries && !entries.IsNull() && !entries.IsSequence()) Fail(list, "expected a list");
  for (std::size_t i = 0; entries && i < entries.size(); ++i) {
    std::string entry_path = list + "[" + std::to_string(i) + "]";
    if (!entries[i].IsMap()) Fail(entry_path, "expected a map with name and " + list);
    if (String(entries[i], "name", entry_path) != name) continue;
    // "clusters" -> "cluster": each entry holds its body under the singular.
    std::string body_key = list.substr(0, list.size() - 1);
    YAML::Node body = entries[i][body_key];
    *path = entry_path;
    path->append(".").append(body_key);
    if (!body || !body.IsMap()) Fail(*path, "expected a map");
    return body;
  }
  Fail(referrer, "no entry named '" + name + "' in " + list);
}

KubeConfig KubeconfigReader::Read(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Fail("", "not valid YAML: " + e.msg + " at line " + std::to_string(e.mark.line + 1));
  }
  if (!root.IsMap()) Fail("", "expected a map at the top level");

  std::string context_name = options_.context;
  std::string context_field = "--context";
  if (context_name.empty()) {
    context_name = String(root, "current-context", "");
    context_field = "current-context";
    if (context_name.empty()) Fail("current-context", "not set and no context was given");
  }
  std::string context_path;
  YAML::Node context = FindNamed(root, "contexts", context_name, context_field, &context_path);

  KubeConfig config;
  std::string ns = String(context, "namespace", context_path);
  if (!ns.empty()) {
    if (!IsValidNamespace(ns)) {
      Fail(context_path + ".namespace", "'" + ns + "' is not a valid namespace name");
    }
    config.namespace_ = ns;
  }

  std::string cluster_name = String(context, "cluster", context_path);
  if (cluster_name.empty()) Fail(context_path + ".cluster", "must name a cluster");
  std::string cluster_path;
  YAML::Node cluster =
      FindNamed(root, "clusters", cluster_name, context_path + ".cluster", &cluster_path);
  config.server = String(cluster, "server", cluster_path);
  if (config.server.empty()) Fail(cluster_path + ".server", "must be set");
  config.ca_pem = DataOrFile(cluster, "certificate-authority", cluster_path);
  config.tls_server_name = String(cluster, "tls-server-name", cluster_path);
  config.insecure_skip_tls_verify = Bool(cluster, "insecure-skip-tls-verify", cluster_path);
  if (config.insecure_skip_tls_verify && !options_.allow_insecure) {
    Fail(cluster_path + ".insecure-skip-tls-verify",
         "refused: TLS verification may only be skipped when explicitly allowed");
  }
  bool https = config.server.rfind("https://", 0) == 0;
  bool http = config.server.rfind("http://", 0) == 0;
  if (!https && !http) Fail(cluster_path + ".server", "expected an https:// URL");
  if (http && !options_.allow_insecure) {
    Fail(cluster_path + ".server", "plain http:// refused unless insecure is explicitly allowed");
  }

  std::string user_name = String(context, "user", context_path);
  if (user_name.empty()) return config;
  std::string user_path;
  YAML::Node user = FindNamed(root, "users", user_name, context_path + ".user", &user_path);
  for (const char* unsupported : {"exec", "auth-provider", "username", "password"}) {
    if (user[unsupported]) {
      Fail(user_path + "." + unsupported,
           "not supported; use a client certificate or a bearer token");
    }
  }
  config.client_cert_pem = DataOrFile(user, "client-certificate", user_path);
  config.client_key_pem = DataOrFile(user, "client-key", user_path);
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    Fail(user_path, "client-certificate and client-key must be given together");
  }
  config.token = String(user, "token", user_path);
  std::string token_file = String(user, "tokenFile", user_path);
  if (!token_file.empty()) {
    config.token_file = std::make_shared<TokenFile>(
        Resolve(token_file), "kubeconfig " + source_ + ": " + user_path + ".tokenFile");
  }
  return config;
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != '\r' && c != '\n') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < clean.size(); i += 4) {
    bool last = i + 4 == clean.size();
    int pad = 0;
    if (last && clean[i + 3] == '=') pad = clean[i + 2] == '=' ? 2 : 1;
    std::uint32_t bits = 0;
    for (int j = 0; j < 4; ++j) {
      int v = j >= 4 - pad ? 0 : Base64Value(clean[i + j]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
    }
    // Non-zero bits under the padding mean a non-canonical encoding.
    if ((pad == 1 && (bits & 0xFF)) || (pad == 2 && (bits & 0xFFFF))) return std::nullopt;
    out.push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out.push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(bits & 0xFF));
  }
  return out;
}

struct TokenFile::Stamp {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const Stamp&) const = default;
};

struct TokenFile::State {
  std::mutex mu;
  Stamp stamp;
  std::string token;
};

bool TokenFile::StatPath(const std::string& path, Stamp* stamp) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  stamp->device = st.st_dev;
  stamp->inode = st.st_ino;
  stamp->size = st.st_size;
  stamp->mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

TokenFile::TokenFile(std::string path, std::string where)
    : path_(std::move(path)), where_(std::move(where)), state_(std::make_shared<State>()) {
  std::optional<std::string> content = ReadWholeFile(path_);
  if (!content || !StatPath(path_, &state_->stamp)) {
    throw ConfigError(where_, "cannot read token file " + path_);
  }
  state_->token = Trim(*content);
  if (state_->token.empty()) throw ConfigError(where_, "token file " + path_ + " is empty");
}

std::string TokenFile::Token() {
  std::lock_guard<std::mutex> guard(state_->mu);
  Stamp now;
  if (StatPath(path_, &now) && !(now == state_->stamp)) {
    std::optional<std::string> content = ReadWholeFile(path_);
    if (content && !Trim(*content).empty()) {
      state_->token = Trim(*content);
      state_->stamp = now;
    }
  }
  return state_->token;
}

std::string KubeConfig::BearerToken() const { return token_file ? token_file->Token() : token; }

KubeConfig ParseKubeconfig(std::string_view text, const std::string& source,
                           const std::string& base_dir, const KubeconfigOptions& options) {
  return KubeconfigReader(source, base_dir, options).Read(text);
}

KubeConfig LoadKubeconfig(const std::string& path, const KubeconfigOptions& options) {
  std::optional<std::string> text = ReadWholeFile(path);
  if (!text) throw ConfigError("kubeconfig " + path, "cannot read file");
  std::string dir = fs::path(path).parent_path().string();
  return ParseKubeconfig(*text, path, dir, options);
}

KubeConfig InClusterConfig(const InClusterOptions& options) {
  auto getenv =
      options.getenv ? options.getenv : [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  std::optional<std::string> host = getenv("KUBERNETES_SERVICE_HOST");
  std::optional<std::string> port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    throw ConfigError("in-cluster config",
                      "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
                      "(not running in a pod?)");
  }
  if (port->find_first_not_of("0123456789") != std::string::npos) {
    throw ConfigError("in-cluster config: KUBERNETES_SERVICE_PORT",
                      "'" + *port + "' is not a port number");
  }
  KubeConfig config;
  bool ipv6 = host->find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;

  fs::path dir(options.service_account_dir);
  config.token_file =
      std::make_shared<TokenFile>((dir / "token").string(), "in-cluster config: token");
  std::string ca_path = (dir / "ca.crt").string();
  std::optional<std::string> ca = ReadWholeFile(ca_path);
  if (!ca) throw ConfigError("in-cluster config: ca.crt", "cannot read file " + ca_path);
  config.ca_pem = *ca;
  if (std::optional<std::string> ns = ReadWholeFile((dir / "namespace").string())) {
    std::string trimmed = Trim(*ns);
    if (!trimmed.empty() && !IsValidNamespace(trimmed)) {
      throw ConfigError("in-cluster config: namespace",
                        "'" + trimmed + "' is not a valid namespace name");
    }
    if (!trimmed.empty()) config.namespace_ = trimmed;
  }
  return config;
}

}  // namespace fedcrm::kube
