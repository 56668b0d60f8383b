#include "bench/bench_flags.h"

#include "core/common/error.h"

namespace fedcrm::bench {

std::map<std::string, std::string> ParseBenchFlags(int argc, char** argv,
                                                   const std::set<std::string>& known,
                                                   const std::set<std::string>& required) {
  std::map<std::string, std::string> values;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      throw ConfigError("argument '" + arg + "'", "expected a flag --name=value");
    }
    const size_t equals = arg.find('=');
    const std::string name =
        arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    if (known.count(name) == 0) {
      std::string expected = "unknown; expected one of";
      for (const std::string& k : known) expected.append(" --").append(k);
      throw ConfigError("flag --" + name, expected);
    }
    if (equals != std::string::npos) {
      values[name] = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      values[name] = argv[++i];
    } else {
      throw ConfigError("flag --" + name, "expected a value");
    }
  }
  for (const std::string& name : required) {
    if (values.count(name) == 0) throw ConfigError("flag --" + name, "required");
  }
  return values;
}

}  // namespace fedcrm::bench
