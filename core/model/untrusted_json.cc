#include "core/model/untrusted_json.h"

#include <algorithm>
#include <set>
#include <vector>

namespace fedcrm::model {
namespace {

// Deepest nesting of arrays and objects outside strings. Runs before the
// parser, so an over-deep document is never built. Malformed text is left to
// the parser to report.
int NestingDepth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

nlohmann::json ParseUntrustedJson(std::string_view text, int max_depth, std::string* problem) {
  if (NestingDepth(text) > max_depth) {
    *problem = "JSON nested more than " + std::to_string(max_depth) + " levels deep";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  // One key set per open object. The callback keeps every value, so each
  // object_start is matched by an object_end.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const nlohmann::json::parser_callback_t track_keys =
      [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) {
          open_objects.emplace_back();
        } else if (event == Event::object_end) {
          open_objects.pop_back();
        } else if (event == Event::key && !open_objects.empty()) {
          const std::string key = parsed.get<std::string>();
          if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
        }
        return true;
      };
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(text, track_keys);
  } catch (const nlohmann::json::exception& e) {
    *problem = std::string("invalid JSON (") + e.what() + ")";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  if (!duplicate.empty()) {
    *problem = "duplicate key '" + duplicate + "' in a JSON object";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return parsed;
}

}  // namespace fedcrm::model
