// YAML documents as JSON values.
//
// fedcrm's configuration is written in YAML by people (examples, custom
// resources) but read by code as JSON, the form the Kubernetes API serves.
// Converting once at the edge lets every parser take nlohmann::json.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace fedcrm {

// Converts YAML text to JSON. Plain scalars follow the YAML 1.2 core schema:
// null/~, true/false, integers and floats become JSON scalars; everything else
// (and every quoted scalar) is a string. Throws ConfigError naming `source`
// and the line on malformed YAML.
nlohmann::json YamlToJson(const std::string& yaml_text, const std::string& source);

// Reads and converts a YAML file. Throws ConfigError if it cannot be read.
nlohmann::json ReadYamlFile(const std::string& path);

}  // namespace fedcrm
