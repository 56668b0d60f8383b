// How to reach an API server: from a kubeconfig file or from inside a pod.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fedcrm::kube {

// A bearer token read from a file and read again whenever the file changes:
// in-cluster service-account tokens are rotated by the kubelet.
class TokenFile {
 public:
  // Reads the file now; throws ConfigError naming `where` if it can't.
  TokenFile(std::string path, std::string where);
  // The current token, re-read if the file's identity, size or mtime moved.
  // Keeps the last good token if a re-read fails (a rotation in progress).
  std::string Token();
  const std::string& path() const { return path_; }

 private:
  struct Stamp;
  struct State;
  static bool StatPath(const std::string& path, Stamp* stamp);
  std::string path_;
  std::string where_;
  std::shared_ptr<State> state_;
};

struct KubeConfig {
  std::string server;  // "https://host:port"
  std::string ca_pem;  // empty: system roots
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;                      // static bearer token
  std::shared_ptr<TokenFile> token_file;  // rotating bearer token; wins over `token`
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string namespace_ = "default";

  // The bearer token to send now, or "" for none.
  std::string BearerToken() const;
};

struct KubeconfigOptions {
  // Context to use; empty: the file's current-context.
  std::string context;
  // insecure-skip-tls-verify and http:// servers are refused unless set.
  bool allow_insecure = false;
};

// Loads a kubeconfig file. Relative file paths inside it are resolved against
// its directory. Throws ConfigError "kubeconfig <path>: <field>: <problem>".
KubeConfig LoadKubeconfig(const std::string& path, const KubeconfigOptions& options = {});

// Parses kubeconfig text; `source` names it in errors, `base_dir` resolves
// relative paths (empty: the working directory).
KubeConfig ParseKubeconfig(std::string_view text, const std::string& source,
                           const std::string& base_dir, const KubeconfigOptions& options = {});

struct InClusterOptions {
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // Reads an environment variable; default: std::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// The config of a pod's service account: KUBERNETES_SERVICE_HOST/PORT, the
// token (re-read on rotation), ca.crt and namespace from the account directory.
// Throws ConfigError when not running in a cluster.
KubeConfig InClusterConfig(const InClusterOptions& options = {});

// Strict standard base64 (padding required; CR/LF ignored). nullopt if invalid.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace fedcrm::kube
