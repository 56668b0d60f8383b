// The fedcrm subcommands. Each takes its arguments after the subcommand name,
// writes to stdout/stderr and returns the process exit code. Each lives in
// its own <name>_command.cc.
#pragma once

#include <string>
#include <vector>

namespace fedcrm::cli {

using Args = std::vector<std::string>;

int RunDatagen(const Args& args);   // datagen_command.cc
int RunPrivacy(const Args& args);   // privacy_command.cc
int RunSimulate(const Args& args);  // simulate_command.cc
int RunModel(const Args& args);     // model_command.cc

}  // namespace fedcrm::cli
