#include "runtime/metrics.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "core/common/error.h"
#include "runtime/metric_registry.h"

namespace fedcrm::runtime {
namespace {

TEST(RegistryTest, RendersCountersAndGaugesSortedWithExactText) {
  Registry registry;
  auto& gauge = registry.AddGauge("fedcrm_silos", "Silos known.", {"region", "state"});
  auto& counter = registry.AddCounter("fedcrm_bytes_total", "Bytes received.");
  gauge.WithLabels({"us", "ready"}).Set(2);
  gauge.WithLabels({"eu", "ready"}).Set(1.5);
  counter.Get().Increment(3);
  EXPECT_EQ(registry.Render(),
            "# HELP fedcrm_bytes_total Bytes received.\n"
            "# TYPE fedcrm_bytes_total counter\n"
            "fedcrm_bytes_total 3\n"
            "# HELP fedcrm_silos Silos known.\n"
            "# TYPE fedcrm_silos gauge\n"
            "fedcrm_silos{region=\"eu\",state=\"ready\"} 1.5\n"
            "fedcrm_silos{region=\"us\",state=\"ready\"} 2\n");
}

TEST(RegistryTest, RendersCumulativeHistogramBuckets) {
  Registry registry;
  auto& family =
      registry.AddHistogram("fedcrm_upload_seconds", "Upload time.", {0.1, 1, 10}, {"silo"});
  Histogram& h = family.WithLabels({"eu"});
  for (double v : {0.05, 0.1, 0.5, 2.0, 50.0}) h.Observe(v);
  EXPECT_EQ(registry.Render(),
            "# HELP fedcrm_upload_seconds Upload time.\n"
            "# TYPE fedcrm_upload_seconds histogram\n"
            "fedcrm_upload_seconds_bucket{silo=\"eu\",le=\"0.1\"} 2\n"
            "fedcrm_upload_seconds_bucket{silo=\"eu\",le=\"1\"} 3\n"
            "fedcrm_upload_seconds_bucket{silo=\"eu\",le=\"10\"} 4\n"
            "fedcrm_upload_seconds_bucket{silo=\"eu\",le=\"+Inf\"} 5\n"
            "fedcrm_upload_seconds_sum{silo=\"eu\"} 52.65\n"
            "fedcrm_upload_seconds_count{silo=\"eu\"} 5\n");
}

TEST(RegistryTest, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.AddGauge("g", "a \\ back\nslash \"quoted\"", {"l"}).WithLabels({"x\\y\"z\nw"}).Set(1);
  EXPECT_EQ(registry.Render(),
            "# HELP g a \\\\ back\\nslash \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{l=\"x\\\\y\\\"z\\nw\"} 1\n");
}

TEST(RegistryTest, FormatsSpecialValues) {
  Registry registry;
  auto& g = registry.AddGauge("g", "h", {"k"});
  g.WithLabels({"a"}).Set(1.0 / 0.0);
  g.WithLabels({"b"}).Set(-1.0 / 0.0);
  g.WithLabels({"c"}).Set(0.0 / 0.0);
  g.WithLabels({"d"}).Set(1e-7);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("g{k=\"a\"} +Inf\n"), std::string::npos);
  EXPECT_NE(text.find("g{k=\"b\"} -Inf\n"), std::string::npos);
  EXPECT_NE(text.find("g{k=\"c\"} NaN\n"), std::string::npos);
  EXPECT_NE(text.find("g{k=\"d\"} 1e-07\n"), std::string::npos);
}

TEST(RegistryTest, RejectsBadNamesDuplicatesAndLabelCounts) {
  Registry registry;
  EXPECT_THROW(registry.AddCounter("9lives", "h"), ConfigError);
  EXPECT_THROW(registry.AddCounter("a-b", "h"), ConfigError);
  EXPECT_THROW(registry.AddGauge("g", "h", {"__reserved"}), ConfigError);
  EXPECT_THROW(registry.AddGauge("g", "h", {"a", "a"}), ConfigError);
  EXPECT_THROW(registry.AddHistogram("h", "h", {1}, {"le"}), ConfigError);
  EXPECT_THROW(registry.AddHistogram("h", "h", {2, 1}), ConfigError);
  EXPECT_THROW(registry.AddHistogram("h", "h", {}), ConfigError);
  registry.AddHistogram("latency", "h", {1});
  EXPECT_THROW(registry.AddCounter("latency", "h"), ConfigError);
  EXPECT_THROW(registry.AddGauge("latency_count", "h"), ConfigError);
  auto& g = registry.AddGauge("g", "h", {"a", "b"});
  EXPECT_THROW(g.WithLabels({"only-one"}), ConfigError);
  // A failed registration leaves nothing half-registered behind.
  EXPECT_EQ(registry.Render().find("9lives"), std::string::npos);
}

TEST(RegistryTest, RemoveForgetsASeries) {
  Registry registry;
  auto& g = registry.AddGauge("g", "h", {"silo"});
  g.WithLabels({"eu"}).Set(1);
  g.WithLabels({"us"}).Set(2);
  g.Remove({"eu"});
  EXPECT_EQ(registry.Render(), "# HELP g h\n# TYPE g gauge\ng{silo=\"us\"} 2\n");
}

TEST(MetricsTest, CounterIgnoresNegativeIncrementsInRelease) {
#ifdef NDEBUG
  Counter c;
  c.Increment(2);
  c.Increment(-1);
  EXPECT_EQ(c.Value(), 2);
#else
  GTEST_SKIP() << "negative increments assert in debug builds";
#endif
}

TEST(MetricsTest, BucketHelpers) {
  EXPECT_EQ(LinearBuckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
  EXPECT_EQ(ExponentialBuckets(1, 10, 3), (std::vector<double>{1, 10, 100}));
  EXPECT_NO_THROW(ValidateBuckets("d", DefaultBuckets()));
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  auto& counters = registry.AddCounter("c_total", "h", {"t"});
  auto& histograms = registry.AddHistogram("h", "h", {0.5});
  constexpr int kThreads = 8;
  constexpr int kIterations = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        counters.WithLabels({std::to_string(i % 4)}).Increment();
        histograms.Get().Observe(t % 2 == 0 ? 0.25 : 1.0);
        if (i % 500 == 0) (void)registry.Render();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  double total = 0;
  counters.ForEach([&](const std::vector<std::string>&, const Counter& c) { total += c.Value(); });
  EXPECT_EQ(total, kThreads * kIterations);
  const Histogram::Snapshot s = histograms.Get().Collect();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kIterations));
  EXPECT_EQ(s.cumulative_counts[0], static_cast<uint64_t>(kThreads / 2 * kIterations));
}

std::string FindPromtool() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    const std::string path = std::string(dir) + "/promtool";
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

TEST(RegistryTest, PromtoolAcceptsTheExposition) {
  const std::string promtool = FindPromtool();
  if (promtool.empty()) {
    GTEST_SKIP() << "promtool not installed (Debian package 'prometheus'; scripts/deps.sh "
                    "installs it); exposition not checked against Prometheus' own linter";
  }
  Registry registry;
  registry
      .AddCounter("fedcrm_requests_total", "Requests \"served\" \\ path\nsecond line",
                  {"code", "path"})
      .WithLabels({"200", "/v1/a\"b\\c\nd"})
      .Increment(7);
  registry.AddGauge("fedcrm_epsilon_remaining", "Budget left.", {"silo"})
      .WithLabels({"eu"})
      .Set(0.25);
  registry.AddHistogram("fedcrm_round_duration_seconds", "Round time.", DefaultBuckets(), {"model"})
      .WithLabels({"churn"})
      .Observe(0.3);
  const auto file = std::filesystem::temp_directory_path() /
                    ("fedcrm_metrics_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << registry.Render();
  const std::string command = promtool + " check metrics < " + file.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(file);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace fedcrm::runtime
