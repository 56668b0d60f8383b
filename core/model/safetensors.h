// The safetensors container: an 8-byte little-endian header length N, N
// bytes of JSON header, then the tensors' raw little-endian bytes.
//
//   {"<tensor>": {"dtype": "F64", "shape": [..], "data_offsets": [begin, end]},
//    "__metadata__": {"<key>": "<string value>", ...}}
//
// Offsets are relative to the first byte after the header. The writer pads
// the header with spaces so the data starts 8-byte aligned. fedcrm stores
// parameters as F64 only.
//
// The reader parses untrusted bytes (model files arrive over the network):
// every length, offset and shape is checked before any data is read, and
// each problem is a fedcrm::DataError naming the source and what was wrong.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fedcrm::model {

// Headers larger than this are refused before parsing.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = uint64_t{16} << 20;

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<double> values;  // row-major, product(shape) elements
};

struct SafetensorsContents {
  std::vector<NamedTensor> tensors;             // in data order
  std::map<std::string, std::string> metadata;  // "__metadata__"; omitted when empty
};

// Serializes `contents`, laying tensors out in the given order. Requires
// unique non-empty names other than "__metadata__", non-negative dimensions
// and values.size() == product(shape); throws std::invalid_argument otherwise.
std::string WriteSafetensors(const SafetensorsContents& contents);

// Parses and validates a safetensors file. `source` names it in errors (a
// path, a URL, "<upload>"). Throws fedcrm::DataError for a truncated file, a
// header length past the end of the file or above the limit, invalid JSON,
// an unknown or non-F64 dtype, a bad shape, offsets out of range, overlapping
// or leaving gaps, or a byte length that does not match the shape.
SafetensorsContents ReadSafetensors(std::string_view bytes, const std::string& source);

}  // namespace fedcrm::model
