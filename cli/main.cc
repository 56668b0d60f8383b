// fedcrm: the command-line tool. Dispatches to one subcommand.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "core/common/error.h"

namespace {

constexpr const char* kUsage = R"(fedcrm — federated learning for CRM data under data residency

Usage: fedcrm <command> [flags]

Commands:
  simulate   run a federation of regional silos on this machine
             (fedcrm simulate -f examples/churn.yaml [--report DIR])
  datagen    write synthetic CRM data for one region
             (fedcrm datagen --task churn --region eu --rows 1000 --seed 1 --out eu.csv)
  privacy    differential-privacy accounting
             (fedcrm privacy epsilon|sigma ...)
  model      inspect a model file (fedcrm model show FILE)
  version    print the version

Run 'fedcrm <command> --help' for a command's flags.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const fedcrm::cli::Args args(argv + 2, argv + argc);
  try {
    if (command == "simulate") return fedcrm::cli::RunSimulate(args);
    if (command == "datagen") return fedcrm::cli::RunDatagen(args);
    if (command == "privacy") return fedcrm::cli::RunPrivacy(args);
    if (command == "model") return fedcrm::cli::RunModel(args);
    if (command == "version" || command == "--version") {
      std::cout << "fedcrm " << FEDCRM_VERSION << "\n";
      return 0;
    }
    std::cerr << "fedcrm: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const fedcrm::Error& e) {
    std::cerr << "fedcrm " << command << ": " << e.what() << "\n";
    return 1;
  }
}
