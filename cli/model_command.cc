// fedcrm model: inspect and verify model files (safetensors + model card).
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/common/error.h"
#include "core/model/model_file.h"

namespace fedcrm::cli {
namespace {

constexpr const char* kHelp = R"(Usage: fedcrm model show FILE [--json]
       fedcrm model verify FILE --digest sha256:HEX

show    prints the model's digest, type, size, task, metrics, privacy guarantee
        and lineage from its model card (--json: the whole card as JSON)
verify  exits 0 when FILE's SHA-256 digest equals --digest, 1 otherwise
        (what a GitOps pipeline checks before promoting a model)
)";

void PrintJsonField(const char* title, const nlohmann::json& value) {
  if (value.is_null() || value.empty()) return;
  std::cout << title << ":\n";
  for (const auto& [key, item] : value.items()) {
    std::cout << "  " << std::left << std::setw(22) << key << " "
              << (item.is_string() ? item.get<std::string>() : item.dump()) << "\n";
  }
}

int Show(const std::string& path, bool json) {
  const model::LoadedModel loaded = model::LoadModelFile(path);
  if (json) {
    std::cout << nlohmann::json{{"digest", loaded.digest}, {"card", loaded.card.ToJson()}}.dump(2)
              << "\n";
    return 0;
  }
  const auto& spec = loaded.model->spec();
  std::cout << "digest      " << loaded.digest << "\n"
            << "task        " << loaded.card.task << "\n"
            << "model       " << spec.type << " (" << spec.input_dim << " inputs, "
            << spec.num_classes << " classes, " << loaded.model->NumParameters()
            << " parameters)\n";
  if (!loaded.card.metrics.empty()) {
    std::cout << "metrics:\n";
    for (const auto& [name, value] : loaded.card.metrics) {
      std::cout << "  " << std::left << std::setw(22) << name << " " << value << "\n";
    }
  }
  PrintJsonField("privacy", loaded.card.privacy);
  PrintJsonField("lineage", loaded.card.lineage);
  return 0;
}

int Verify(const std::string& path, const std::string& expected) {
  const std::string actual = model::Digest(model::ReadFileBytes(path));
  if (actual != expected) {
    std::cerr << path << ": digest " << actual << " does not match " << expected << "\n";
    return 1;
  }
  std::cout << path << ": " << actual << " OK\n";
  return 0;
}

}  // namespace

int RunModel(const Args& args) {
  Flags flags({"digest"}, {"json", "help"});
  flags.Parse(args);
  const auto& positional = flags.positional();
  if (flags.Bool("help") || positional.empty()) {
    std::cout << kHelp;
    return flags.Bool("help") ? 0 : 2;
  }
  const std::string& verb = positional[0];
  if (positional.size() != 2) {
    throw ConfigError("fedcrm model " + verb, "expected exactly one FILE argument");
  }
  if (verb == "show") return Show(positional[1], flags.Bool("json"));
  if (verb == "verify") return Verify(positional[1], flags.String("digest"));
  throw ConfigError("fedcrm model", "unknown subcommand '" + verb + "' (expected show or verify)");
}

}  // namespace fedcrm::cli
