// Flags of the benchmark binaries ("--name=value" or "--name value"), read
// after Google Benchmark has taken its own --benchmark_* flags out of argv.
// The fedcrm CLI's parser lives in fedcrm_cli, which would pull the whole
// simulator into the benchmarks; this one is a few lines.
#pragma once

#include <map>
#include <set>
#include <string>

namespace fedcrm::bench {

// Values by flag name (without "--"). Throws fedcrm::ConfigError for an
// unknown flag, a flag without a value, a positional argument, or a missing
// flag that is in `required`.
std::map<std::string, std::string> ParseBenchFlags(int argc, char** argv,
                                                   const std::set<std::string>& known,
                                                   const std::set<std::string>& required);

}  // namespace fedcrm::bench
