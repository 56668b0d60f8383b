// libFuzzer target for model files (safetensors + model card), which the
// worker downloads and the aggregator reads back: arbitrary bytes must parse
// or throw fedcrm::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/common/error.h"
#include "core/model/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    fedcrm::model::ParseModel(std::string_view(reinterpret_cast<const char*>(data), size),
                              "fuzz.safetensors");
  } catch (const fedcrm::Error&) {
  }
  return 0;
}
