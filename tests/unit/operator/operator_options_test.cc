#include "operator/operator_options.h"

#include <gtest/gtest.h>

#include "core/common/error.h"

namespace fedcrm::op {
namespace {

std::vector<std::string> Required() {
  return {"--aggregator-url",   "https://agg:8443", "--aggregator-ca",   "ca.pem",
          "--coordinator-cert", "op.pem",           "--coordinator-key", "op-key.pem"};
}

TEST(OperatorOptionsTest, DefaultsAndOverrides) {
  OperatorFlags flags = ParseOperatorFlags(Required());
  EXPECT_EQ(flags.worker_aggregator_url, "https://agg:8443");
  EXPECT_FALSE(flags.leader_elect);
  EXPECT_EQ(flags.metrics_port, 8080);
  EXPECT_EQ(flags.federation_ca_secret, "fedcrm/fedcrm-federation-ca");

  std::vector<std::string> args = Required();
  for (const char* a :
       {"--leader-elect", "--metrics-listen=[::1]:9000", "--namespace", "crm", "--poll-interval-ms",
        "250", "--worker-aggregator-url", "https://10.0.0.5:8443"}) {
    args.push_back(a);
  }
  flags = ParseOperatorFlags(args);
  EXPECT_TRUE(flags.leader_elect);
  EXPECT_EQ(flags.metrics_address, "::1");
  EXPECT_EQ(flags.metrics_port, 9000);
  EXPECT_EQ(flags.namespace_, "crm");
  EXPECT_EQ(flags.poll_interval_ms, 250);
  EXPECT_EQ(flags.worker_aggregator_url, "https://10.0.0.5:8443");
}

TEST(OperatorOptionsTest, ErrorsNameTheFlag) {
  auto error_of = [](std::vector<std::string> args) -> std::string {
    try {
      ParseOperatorFlags(args);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(error_of({}).find("--aggregator-url"), std::string::npos);
  std::vector<std::string> args = Required();
  args.push_back("--bogus");
  EXPECT_NE(error_of(args).find("--bogus: unknown flag"), std::string::npos);
  args = Required();
  args.insert(args.end(), {"--poll-interval-ms", "fast"});
  EXPECT_NE(error_of(args).find("--poll-interval-ms"), std::string::npos);
  args = Required();
  args.insert(args.end(), {"--federation-ca-secret", "nonamespace"});
  EXPECT_NE(error_of(args).find("NAMESPACE/NAME"), std::string::npos);
  args = Required();
  args.push_back("--namespace");
  EXPECT_NE(error_of(args).find("expected a value"), std::string::npos);
  EXPECT_TRUE(ParseOperatorFlags({"--version"}).version);
}

}  // namespace
}  // namespace fedcrm::op
