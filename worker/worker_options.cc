#include "worker/worker_options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "core/common/error.h"

namespace fedcrm::worker {
namespace {

struct Setting {
  const char* flag;  // without "--"
  const char* env;   // "" when there is no variable
  bool required;
  const char* help;
};

constexpr Setting kSettings[] = {
    {"aggregator-url", "FEDCRM_AGGREGATOR_URL", true, "https://host:port of fedcrm-aggregator"},
    {"round", "FEDCRM_ROUND", true, "the round to join"},
    {"silo", "FEDCRM_SILO", true, "this silo's name; must equal the certificate's identity"},
    {"data", "FEDCRM_DATA", true, "the silo's CSV file"},
    {"tls-cert", "FEDCRM_TLS_CERT", true, "PEM file: this silo's client certificate"},
    {"tls-key", "FEDCRM_TLS_KEY", true, "PEM file: its private key"},
    {"ca", "FEDCRM_TLS_CA", true, "PEM file: the federation CA"},
    {"seed", "FEDCRM_SEED", false,
     "seeds DP noise and rounding (simulations and tests only: no privacy); default OS entropy"},
    {"test-fraction", "FEDCRM_TEST_FRACTION", false,
     "fraction of rows held out from the round, in [0, 1) (default 0)"},
    {"split-seed", "FEDCRM_SPLIT_SEED", false, "seed of the held-out split (default 0)"},
    {"poll-interval-ms", "FEDCRM_POLL_INTERVAL_MS", false,
     "longest wait between polls, in ms (default 1000)"},
    {"timeout-seconds", "FEDCRM_TIMEOUT_SECONDS", false, "give up after this long (default 3600)"},
    {"fail-at", "FEDCRM_FAIL_AT", false,
     "testing aid: STAGE/STEP (steps keys|shares|masked|unmask): exit 3 before sending it"},
    {"log-level", "FEDCRM_LOG_LEVEL", false, "debug|info|warn|error (default info)"},
};

const Setting* FindSetting(const std::string& flag) {
  for (const Setting& setting : kSettings) {
    if (flag == setting.flag) return &setting;
  }
  return nullptr;
}

std::string Where(const Setting& setting) {
  std::string where = std::string("flag --") + setting.flag;
  if (*setting.env != '\0') where += std::string(" (or ") + setting.env + ")";
  return where;
}

// Flags first, then the environment for what the flags left out.
std::map<std::string, std::string> Collect(const std::vector<std::string>& args,
                                           const Environment& env) {
  std::map<std::string, std::string> values;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      throw ConfigError("argument '" + arg + "'", "unexpected; fedcrm-worker takes only flags");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (FindSetting(name) == nullptr) {
      throw ConfigError("flag --" + name, "unknown flag (see --help)");
    }
    if (!value) {
      if (i + 1 >= args.size()) throw ConfigError("flag --" + name, "needs a value");
      value = args[++i];
    }
    values[name] = *value;
  }
  for (const Setting& setting : kSettings) {
    if (values.count(setting.flag) != 0 || *setting.env == '\0') continue;
    auto it = env.find(setting.env);
    if (it != env.end() && !it->second.empty()) values[setting.flag] = it->second;
  }
  for (const Setting& setting : kSettings) {
    if (setting.required && values.count(setting.flag) == 0) {
      throw ConfigError(Where(setting), "is required");
    }
  }
  return values;
}

int64_t ParseInteger(const std::string& text, const Setting& setting, int64_t min_value) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min_value) {
    throw ConfigError(Where(setting), "expected an integer >= " + std::to_string(min_value) +
                                          ", got '" + text + "'");
  }
  return value;
}

uint64_t ParseUnsigned(const std::string& text, const Setting& setting) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw ConfigError(Where(setting), "expected an unsigned integer, got '" + text + "'");
  }
  return value;
}

double ParseFraction(const std::string& text, const Setting& setting) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0.0 || value >= 1.0) {
    throw ConfigError(Where(setting), "expected a number in [0, 1), got '" + text + "'");
  }
  return value;
}

void ValidateUrl(const std::string& url, const Setting& setting) {
  if (url.rfind("https://", 0) != 0 || url.size() == 8) {
    throw ConfigError(Where(setting), "expected https://host:port, got '" + url + "'");
  }
}

void ValidateFailAt(const std::string& text, const Setting& setting) {
  static const std::set<std::string> kSteps = {"keys", "shares", "masked", "unmask"};
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || kSteps.count(text.substr(slash + 1)) == 0) {
    throw ConfigError(
        Where(setting),
        "expected STAGE/STEP with STEP one of keys, shares, masked, unmask, got '" + text + "'");
  }
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (const Setting& setting : kSettings) {
    if (*setting.env == '\0') continue;
    if (const char* value = std::getenv(setting.env)) env[setting.env] = value;
  }
  return env;
}

WorkerOptions ParseWorkerOptions(const std::vector<std::string>& args, const Environment& env) {
  const std::map<std::string, std::string> values = Collect(args, env);
  auto get = [&values](const char* flag) -> const std::string* {
    auto it = values.find(flag);
    return it == values.end() ? nullptr : &it->second;
  };
  WorkerOptions options;
  options.aggregator_url = *get("aggregator-url");
  ValidateUrl(options.aggregator_url, *FindSetting("aggregator-url"));
  while (options.aggregator_url.ends_with('/')) options.aggregator_url.pop_back();
  options.round = *get("round");
  options.silo = *get("silo");
  options.data_path = *get("data");
  options.tls_cert_path = *get("tls-cert");
  options.tls_key_path = *get("tls-key");
  options.ca_path = *get("ca");
  if (const std::string* seed = get("seed")) {
    options.seed = ParseUnsigned(*seed, *FindSetting("seed"));
  }
  if (const std::string* fraction = get("test-fraction")) {
    options.test_fraction = ParseFraction(*fraction, *FindSetting("test-fraction"));
  }
  if (const std::string* seed = get("split-seed")) {
    options.split_seed = ParseUnsigned(*seed, *FindSetting("split-seed"));
  }
  if (const std::string* ms = get("poll-interval-ms")) {
    options.poll_interval =
        std::chrono::milliseconds(ParseInteger(*ms, *FindSetting("poll-interval-ms"), 1));
  }
  if (const std::string* seconds = get("timeout-seconds")) {
    options.timeout =
        std::chrono::seconds(ParseInteger(*seconds, *FindSetting("timeout-seconds"), 1));
  }
  if (const std::string* fail_at = get("fail-at")) {
    ValidateFailAt(*fail_at, *FindSetting("fail-at"));
    options.fail_at = *fail_at;
  }
  if (const std::string* level = get("log-level")) {
    static const std::set<std::string> kLevels = {"debug", "info", "warn", "error"};
    if (kLevels.count(*level) == 0) {
      throw ConfigError(Where(*FindSetting("log-level")),
                        "expected debug, info, warn or error, got '" + *level + "'");
    }
    options.log_level = *level;
  }
  return options;
}

std::string WorkerUsage() {
  std::string usage =
      "usage: fedcrm-worker [flags]\n"
      "Takes part in one federated round as one silo. Every flag may instead be\n"
      "given as the environment variable shown; a flag wins over its variable.\n\n";
  for (const Setting& setting : kSettings) {
    usage += std::string("  --") + setting.flag;
    if (*setting.env != '\0') usage += std::string(" / ") + setting.env;
    usage += setting.required ? "  (required)\n" : "\n";
    usage += std::string("      ") + setting.help + "\n";
  }
  usage += "  --version, --help\n";
  return usage;
}

}  // namespace fedcrm::worker
