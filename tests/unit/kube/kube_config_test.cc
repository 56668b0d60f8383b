#include "kube/kube_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/common/error.h"

namespace fedcrm::kube {
namespace {

namespace fs = std::filesystem;

// "-----BEGIN CA-----\n" etc. in base64, so tests see decoded bytes.
constexpr char kCaData[] = "Q0EgUEVN";    // "CA PEM"
constexpr char kCertData[] = "Q0VSVA==";  // "CERT"
constexpr char kKeyData[] = "S0VZ";       // "KEY"

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("fedcrm_kube_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    fs::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name, std::ios::binary | std::ios::trunc) << text;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string TwoContexts(const std::string& user_body) {
  return R"(apiVersion: v1
kind: Config
current-context: hub
clusters:
- name: hub-cluster
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: )" +
         std::string(kCaData) + R"(
- name: eu-cluster
  cluster:
    server: https://eu.example:6443
    certificate-authority: certs/ca.pem
contexts:
- name: hub
  context: {cluster: hub-cluster, user: admin, namespace: fedcrm}
- name: eu
  context: {cluster: eu-cluster, user: robot}
users:
- name: admin
  user:
)" + user_body +
         R"(
- name: robot
  user:
    tokenFile: tokens/robot
)";
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(KubeconfigTest, CurrentContextWithInlineData) {
  std::string text = TwoContexts(std::string("    client-certificate-data: ") + kCertData +
                                 "\n    client-key-data: " + kKeyData);
  TempDir dir;
  dir.Write("tokens/robot", "t0\n");
  KubeConfig c = ParseKubeconfig(text, "mem", dir.path().string());
  EXPECT_EQ(c.server, "https://10.0.0.1:6443");
  EXPECT_EQ(c.ca_pem, "CA PEM");
  EXPECT_EQ(c.client_cert_pem, "CERT");
  EXPECT_EQ(c.client_key_pem, "KEY");
  EXPECT_EQ(c.namespace_, "fedcrm");
  EXPECT_EQ(c.BearerToken(), "");
  EXPECT_FALSE(c.insecure_skip_tls_verify);
}

TEST(KubeconfigTest, NamedContextResolvesRelativeFilesAndReReadsTokens) {
  TempDir dir;
  dir.Write("certs/ca.pem", "EU CA");
  dir.Write("tokens/robot", "first-token\n");
  dir.Write("config", TwoContexts("    token: static"));
  KubeConfig c = LoadKubeconfig((dir.path() / "config").string(), {.context = "eu"});
  EXPECT_EQ(c.server, "https://eu.example:6443");
  EXPECT_EQ(c.ca_pem, "EU CA");
  EXPECT_EQ(c.namespace_, "default");
  EXPECT_EQ(c.BearerToken(), "first-token");
  // A rotated token (a longer one, so the size changes even if mtime doesn't).
  dir.Write("tokens/robot", "second-token-rotated\n");
  EXPECT_EQ(c.BearerToken(), "second-token-rotated");
  KubeConfig copy = c;  // copies share the token source
  EXPECT_EQ(copy.BearerToken(), "second-token-rotated");
}

TEST(KubeconfigTest, ClientCertificateFilesRelativeToTheKubeconfig) {
  TempDir dir;
  dir.Write("sub/pki/client.crt", "CERT FILE");
  dir.Write("sub/pki/client.key", "KEY FILE");
  dir.Write("sub/config",
            "current-context: c\ncontexts:\n- name: c\n  context: {cluster: x, user: u}\n"
            "clusters:\n- name: x\n  cluster: {server: 'https://a:6443'}\n"
            "users:\n- name: u\n  user: {client-certificate: pki/client.crt,"
            " client-key: ./pki/../pki/client.key}\n");
  KubeConfig c = LoadKubeconfig((dir.path() / "sub" / "config").string());
  EXPECT_EQ(c.client_cert_pem, "CERT FILE");
  EXPECT_EQ(c.client_key_pem, "KEY FILE");
  EXPECT_EQ(c.ca_pem, "");  // no CA: the system roots
}

TEST(KubeconfigTest, UnknownContextNamesTheFlag) {
  TempDir dir;
  dir.Write("tokens/robot", "x");
  EXPECT_EQ(ErrorOf([&] {
              ParseKubeconfig(TwoContexts("    token: a"), "f", dir.path().string(),
                              {.context = "us", .allow_insecure = false});
            }),
            "kubeconfig f: --context: no entry named 'us' in contexts");
}

TEST(KubeconfigTest, StaticToken) {
  TempDir dir;
  dir.Write("tokens/robot", "x");
  KubeConfig c = ParseKubeconfig(TwoContexts("    token: abc"), "mem", dir.path().string());
  EXPECT_EQ(c.BearerToken(), "abc");
}

TEST(KubeconfigTest, BadBase64NamesTheField) {
  std::string text = TwoContexts(std::string("    client-certificate-data: ") + kCertData +
                                 "\n    client-key-data: not*base64");
  EXPECT_EQ(ErrorOf([&] { ParseKubeconfig(text, "foo", ""); }),
            "kubeconfig foo: users[0].user.client-key-data: not valid base64");
}

TEST(KubeconfigTest, ErrorsNameTheField) {
  std::map<std::string, std::string> cases = {
      {"current-context: nope\ncontexts: []\n",
       "kubeconfig f: current-context: no entry named 'nope' in contexts"},
      {"contexts: []\n", "kubeconfig f: current-context: not set and no context was given"},
      {"[1, 2]", "kubeconfig f: expected a map at the top level"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n",
       "kubeconfig f: contexts[0].context.cluster: no entry named 'x' in clusters"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
       "clusters:\n- name: x\n  cluster: {certificate-authority-data: Q0E=}\n",
       "kubeconfig f: clusters[0].cluster.server: must be set"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a', insecure-skip-tls-verify: maybe}\n",
       "kubeconfig f: clusters[0].cluster.insecure-skip-tls-verify: expected true or false"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x, user: u}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a'}\n"
       "users:\n- name: u\n  user: {exec: {command: aws}}\n",
       "kubeconfig f: users[0].user.exec: not supported; use a client certificate or a bearer "
       "token"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x, user: u}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a'}\n"
       "users:\n- name: u\n  user: {client-certificate-data: Q0E=}\n",
       "kubeconfig f: users[0].user: client-certificate and client-key must be given together"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a', certificate-authority: /no/such}\n",
       "kubeconfig f: clusters[0].cluster.certificate-authority: cannot read file /no/such"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x, namespace: Bad_NS}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a'}\n",
       "kubeconfig f: contexts[0].context.namespace: 'Bad_NS' is not a valid namespace name"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
       "clusters:\n- name: x\n  cluster: {server: 'ftp://a'}\n",
       "kubeconfig f: clusters[0].cluster.server: expected an https:// URL"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
       "clusters: {x: 1}\n",
       "kubeconfig f: clusters: expected a list"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a', certificate-authority: ca.pem,"
       " certificate-authority-data: Q0E=}\n",
       "kubeconfig f: clusters[0].cluster.certificate-authority: set either certificate-authority "
       "or certificate-authority-data, not both"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x, user: u}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a'}\n"
       "users:\n- name: other\n  user: {}\n- name: u\n  user: {token: [1]}\n",
       "kubeconfig f: users[1].user.token: expected a string"},
      {"current-context: c\ncontexts:\n- name: c\n  context: {cluster: x, user: u}\n"
       "clusters:\n- name: x\n  cluster: {server: 'https://a'}\n"
       "users:\n- name: u\n  user: {tokenFile: /no/such/token}\n",
       "kubeconfig f: users[0].user.tokenFile: cannot read token file /no/such/token"},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(ErrorOf([&] { ParseKubeconfig(text, "f", ""); }), expected) << text;
  }
  EXPECT_NE(ErrorOf([] { ParseKubeconfig("a: [", "f", ""); }).find("kubeconfig f: not valid YAML"),
            std::string::npos);
  EXPECT_EQ(ErrorOf([] { LoadKubeconfig("/no/such/kubeconfig"); }),
            "kubeconfig /no/such/kubeconfig: cannot read file");
}

TEST(KubeconfigTest, InsecureOnlyWhenExplicitlyAllowed) {
  std::string insecure =
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
      "clusters:\n- name: x\n  cluster: {server: 'https://a', insecure-skip-tls-verify: true}\n";
  EXPECT_NE(ErrorOf([&] {
              ParseKubeconfig(insecure, "f", "");
            }).find("clusters[0].cluster.insecure-skip-tls-verify: refused"),
            std::string::npos);
  KubeConfig c = ParseKubeconfig(insecure, "f", "", {.context = "", .allow_insecure = true});
  EXPECT_TRUE(c.insecure_skip_tls_verify);

  std::string http =
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: x}\n"
      "clusters:\n- name: x\n  cluster: {server: 'http://a:8080'}\n";
  EXPECT_THROW(ParseKubeconfig(http, "f", ""), ConfigError);
  EXPECT_EQ(ParseKubeconfig(http, "f", "", {.context = "", .allow_insecure = true}).server,
            "http://a:8080");
}

TEST(Base64Test, StrictDecoding) {
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_EQ(DecodeBase64("Zg=="), "f");
  EXPECT_EQ(DecodeBase64("Zm8="), "fo");
  EXPECT_EQ(DecodeBase64("Zm9v"), "foo");
  EXPECT_EQ(DecodeBase64("Zm9v\nYmFy\r\n"), "foobar");
  EXPECT_EQ(DecodeBase64("+/+/"), std::string("\xfb\xff\xbf"));
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zh==", "Zm9", "Zm9v!", "Zg==Zg==", "=Zg="}) {
    EXPECT_EQ(DecodeBase64(bad), std::nullopt) << bad;
  }
}

class InClusterTest : public ::testing::Test {
 protected:
  InClusterOptions Options() {
    InClusterOptions options;
    options.service_account_dir = dir_.path().string();
    options.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    return options;
  }
  TempDir dir_;
  std::map<std::string, std::string> env_ = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                             {"KUBERNETES_SERVICE_PORT", "443"}};
};

TEST_F(InClusterTest, ReadsTheServiceAccount) {
  dir_.Write("token", "tok-1");
  dir_.Write("ca.crt", "CLUSTER CA");
  dir_.Write("namespace", "fedcrm-system\n");
  KubeConfig c = InClusterConfig(Options());
  EXPECT_EQ(c.server, "https://10.96.0.1:443");
  EXPECT_EQ(c.ca_pem, "CLUSTER CA");
  EXPECT_EQ(c.namespace_, "fedcrm-system");
  EXPECT_EQ(c.BearerToken(), "tok-1");
  // The kubelet rotates the token by swapping the file.
  dir_.Write("token.new", "tok-2-rotated");
  fs::rename(dir_.path() / "token.new", dir_.path() / "token");
  EXPECT_EQ(c.BearerToken(), "tok-2-rotated");
  // A vanished token (mid-rotation) keeps the last good one.
  fs::remove(dir_.path() / "token");
  EXPECT_EQ(c.BearerToken(), "tok-2-rotated");
}

TEST_F(InClusterTest, Ipv6HostAndDefaultNamespace) {
  dir_.Write("token", "tok");
  dir_.Write("ca.crt", "CA");
  env_["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  KubeConfig c = InClusterConfig(Options());
  EXPECT_EQ(c.server, "https://[fd00::1]:443");
  EXPECT_EQ(c.namespace_, "default");
}

TEST_F(InClusterTest, RejectsABadNamespaceFile) {
  dir_.Write("token", "tok");
  dir_.Write("ca.crt", "CA");
  dir_.Write("namespace", "Not A Namespace");
  EXPECT_EQ(ErrorOf([&] { InClusterConfig(Options()); }),
            "in-cluster config: namespace: 'Not A Namespace' is not a valid namespace name");
}

TEST_F(InClusterTest, ClearErrorsOutsideACluster) {
  dir_.Write("ca.crt", "CA");
  EXPECT_EQ(ErrorOf([&] { InClusterConfig(Options()); }),
            "in-cluster config: token: cannot read token file " + (dir_.path() / "token").string());
  dir_.Write("token", "tok");
  env_.erase("KUBERNETES_SERVICE_PORT");
  EXPECT_NE(ErrorOf([&] { InClusterConfig(Options()); }).find("KUBERNETES_SERVICE_PORT"),
            std::string::npos);
  env_["KUBERNETES_SERVICE_PORT"] = "https";
  EXPECT_EQ(ErrorOf([&] { InClusterConfig(Options()); }),
            "in-cluster config: KUBERNETES_SERVICE_PORT: 'https' is not a port number");
  env_["KUBERNETES_SERVICE_PORT"] = "443";
  fs::remove(dir_.path() / "ca.crt");
  EXPECT_NE(ErrorOf([&] { InClusterConfig(Options()); }).find("in-cluster config: ca.crt"),
            std::string::npos);
}

}  // namespace
}  // namespace fedcrm::kube
