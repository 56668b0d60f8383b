// Parsing JSON that arrived from outside (model file headers, model cards).
//
// nlohmann::json parses iteratively but copies and serializes recursively, so
// a document nested thousands deep would overflow the stack later, far from
// the parse. Duplicate keys are silently collapsed by nlohmann::json, which
// would let two readers disagree about one file. Both are rejected here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace fedcrm::model {

// Parses `text` as one JSON document nested at most `max_depth` arrays and
// objects deep, with no duplicate key in any object. On failure returns a
// discarded value (is_discarded()) and sets *problem to a short description.
nlohmann::json ParseUntrustedJson(std::string_view text, int max_depth, std::string* problem);

}  // namespace fedcrm::model
