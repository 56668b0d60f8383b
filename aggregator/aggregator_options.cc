#include "aggregator/aggregator_options.h"

#include <charconv>
#include <map>

#include "core/common/error.h"
#include "runtime/certificates.h"
#include "runtime/log.h"

namespace fedcrm::aggregator {
namespace {

uint64_t ParseUnsigned(const std::string& text, const std::string& where, uint64_t max) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > max) {
    throw ConfigError(where,
                      "'" + text + "': expected an integer from 0 to " + std::to_string(max));
  }
  return value;
}

}  // namespace

ListenAddress ParseListenAddress(const std::string& text, const std::string& where) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw ConfigError(where, "'" + text + "': expected ADDRESS:PORT, e.g. 0.0.0.0:8443");
  }
  ListenAddress out;
  out.address = text.substr(0, colon);
  if (out.address.front() == '[') {
    if (out.address.size() < 3 || out.address.back() != ']') {
      throw ConfigError(where, "'" + text + "': expected [IPV6]:PORT");
    }
    out.address = out.address.substr(1, out.address.size() - 2);
  }
  out.port = static_cast<uint16_t>(ParseUnsigned(text.substr(colon + 1), where + " port", 65535));
  return out;
}

AggregatorFlags ParseAggregatorFlags(const std::vector<std::string>& args) {
  AggregatorFlags flags;
  std::map<std::string, std::string> values;
  static const char* const kValueFlags[] = {
      "listen",   "metrics-listen",       "tls-cert",       "tls-key",  "ca",
      "data-dir", "coordinator-identity", "max-body-bytes", "log-level"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      throw ConfigError("fedcrm-aggregator", "unexpected argument '" + arg + "'");
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "version" || name == "help") {
      if (has_value) throw ConfigError("--" + name, "takes no value");
      (name == "version" ? flags.version : flags.help) = true;
      continue;
    }
    bool known = false;
    for (const char* flag : kValueFlags) known = known || name == flag;
    if (!known) throw ConfigError("--" + name, "unknown flag (see --help)");
    if (!has_value) {
      if (i + 1 >= args.size()) throw ConfigError("--" + name, "expects a value");
      value = args[++i];
    }
    values[name] = value;
  }
  if (flags.version || flags.help) return flags;

  auto take = [&](const char* name, std::string* out) {
    if (auto it = values.find(name); it != values.end()) *out = it->second;
  };
  if (values.count("listen")) flags.listen = ParseListenAddress(values["listen"], "--listen");
  if (values.count("metrics-listen")) {
    flags.metrics_listen = ParseListenAddress(values["metrics-listen"], "--metrics-listen");
  }
  take("tls-cert", &flags.tls_cert);
  take("tls-key", &flags.tls_key);
  take("ca", &flags.ca);
  take("data-dir", &flags.data_dir);
  take("coordinator-identity", &flags.coordinator_identity);
  take("log-level", &flags.log_level);
  if (values.count("max-body-bytes")) {
    flags.max_body_bytes = static_cast<size_t>(
        ParseUnsigned(values["max-body-bytes"], "--max-body-bytes", uint64_t{1} << 40));
    if (flags.max_body_bytes == 0) throw ConfigError("--max-body-bytes", "must be positive");
  }
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"--tls-cert", &flags.tls_cert},
        {"--tls-key", &flags.tls_key},
        {"--ca", &flags.ca},
        {"--data-dir", &flags.data_dir}}) {
    if (value->empty()) throw ConfigError(name, "is required (see --help)");
  }
  runtime::ValidateIdentity(flags.coordinator_identity, "--coordinator-identity");
  runtime::ParseLogLevel(flags.log_level, "--log-level");
  return flags;
}

std::string AggregatorUsage() {
  return "usage: fedcrm-aggregator --tls-cert PEM --tls-key PEM --ca PEM --data-dir DIR\n"
         "         [--listen ADDR:PORT] [--metrics-listen ADDR:PORT]\n"
         "         [--coordinator-identity ID] [--max-body-bytes N] [--log-level LEVEL]\n"
         "\n"
         "Serves the secure-aggregation round API (docs/protocol.md) over mutual TLS on\n"
         "--listen (default 0.0.0.0:8443) and Prometheus metrics, /healthz and /readyz\n"
         "over plain HTTP on --metrics-listen (default 0.0.0.0:9090). Port 0 picks a free\n"
         "port; the chosen ports are logged as {\"msg\":\"listening\",\"tls_port\":N,...}.\n";
}

}  // namespace fedcrm::aggregator
