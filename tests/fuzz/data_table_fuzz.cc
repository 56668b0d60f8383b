// libFuzzer target for the CSV reader and table parser: arbitrary bytes read
// under a schema that uses every feature type must parse or throw
// fedcrm::Error naming the position; nothing else is acceptable.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/common/error.h"
#include "core/data/feature_schema.h"
#include "core/data/table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fedcrm::data::FeatureSchema schema =
      fedcrm::data::FeatureSchema::FromJson(nlohmann::json::parse(R"({
        "label": {"name": "y", "type": "binary", "positive": "yes", "negative": "no"},
        "features": [{"name": "n", "type": "numeric", "missing": "mean", "transform": "log1p"},
                     {"name": "c", "type": "categorical", "vocabulary": ["a", "b"]},
                     {"name": "b", "type": "boolean", "missing": "false"},
                     {"name": "t", "type": "text", "buckets": 8}]})"),
                                            "fuzz schema");
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    fedcrm::data::ReadTable(in, "fuzz.csv", schema);
  } catch (const fedcrm::Error&) {
  }
  return 0;
}
