#include "core/model/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "core/common/error.h"
#include "core/model/untrusted_json.h"

namespace fedcrm::model {
namespace {

using nlohmann::json;

constexpr char kMetadataKey[] = "__metadata__";
constexpr char kDtype[] = "F64";
constexpr uint64_t kElementBytes = 8;
// Top-level object, tensor entry, shape array.
constexpr int kMaxHeaderDepth = 3;

void PutLittleEndian64(uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetLittleEndian64(const char* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(p[i]);
  return value;
}

bool IsKnownDtype(const std::string& dtype) {
  static const std::set<std::string> kKnown = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3",
                                               "I16",  "U16", "F16", "BF16",    "I32",
                                               "U32",  "F32", "F64", "I64",     "U64"};
  return kKnown.count(dtype) > 0;
}

// One tensor entry of the header, validated but not yet read.
struct Entry {
  std::string name;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

class Reader {
 public:
  Reader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  SafetensorsContents Read() {
    const json header = ParseHeader();
    SafetensorsContents contents;
    std::vector<Entry> entries;
    for (const auto& [key, value] : header.items()) {
      if (key == kMetadataKey) {
        contents.metadata = ParseMetadata(value);
      } else {
        entries.push_back(ParseEntry(key, value));
      }
    }
    CheckCoverage(&entries);
    for (const Entry& entry : entries) contents.tensors.push_back(Load(entry));
    return contents;
  }

 private:
  [[noreturn]] void Fail(const std::string& value, const std::string& expected) const {
    throw DataError({source_, 0, 0, ""}, value, expected);
  }

  json ParseHeader() {
    if (bytes_.size() < 8) {
      Fail("file of " + std::to_string(bytes_.size()) + " bytes",
           "expected at least 8 bytes (the safetensors header length)");
    }
    const uint64_t header_bytes = GetLittleEndian64(bytes_.data());
    const uint64_t available = bytes_.size() - 8;
    if (header_bytes > available) {
      Fail("header length " + std::to_string(header_bytes),
           "expected at most " + std::to_string(available) +
               ", the bytes after the length prefix (truncated or not a safetensors file)");
    }
    if (header_bytes > kMaxSafetensorsHeaderBytes) {
      Fail("header length " + std::to_string(header_bytes),
           "expected at most " + std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
    }
    data_ = bytes_.substr(8 + header_bytes);
    std::string problem;
    json header = ParseUntrustedJson(bytes_.substr(8, header_bytes), kMaxHeaderDepth, &problem);
    if (header.is_discarded()) Fail("header", "expected a JSON object: " + problem);
    if (!header.is_object()) Fail("header", "expected a JSON object, got " + TypeOf(header));
    return header;
  }

  static std::string TypeOf(const json& value) { return value.type_name(); }

  std::map<std::string, std::string> ParseMetadata(const json& value) const {
    if (!value.is_object()) {
      Fail("__metadata__", "expected an object of strings, got " + TypeOf(value));
    }
    std::map<std::string, std::string> metadata;
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) {
        Fail("__metadata__." + key, "expected a string, got " + TypeOf(item));
      }
      metadata[key] = item.get<std::string>();
    }
    return metadata;
  }

  Entry ParseEntry(const std::string& name, const json& value) const {
    const std::string where = "tensor '" + name + "'";
    if (name.empty()) Fail("tensor name ''", "expected a non-empty name");
    if (!value.is_object()) Fail(where, "expected an object, got " + TypeOf(value));
    for (const auto& [key, item] : value.items()) {
      if (key != "dtype" && key != "shape" && key != "data_offsets") {
        Fail(where + " field '" + key + "'", "expected only dtype, shape and data_offsets");
      }
    }
    if (!value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets")) {
      Fail(where, "expected the fields dtype, shape and data_offsets");
    }
    CheckDtype(where, value["dtype"]);

    Entry entry;
    entry.name = name;
    const uint64_t elements = ParseShape(where, value["shape"], &entry.shape);
    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      Fail(where + " data_offsets", "expected [begin, end], two non-negative integers");
    }
    entry.begin = offsets[0].get<uint64_t>();
    entry.end = offsets[1].get<uint64_t>();
    if (entry.begin > entry.end || entry.end > data_.size()) {
      Fail(where + " data_offsets [" + std::to_string(entry.begin) + ", " +
               std::to_string(entry.end) + "]",
           "expected begin <= end <= " + std::to_string(data_.size()) +
               ", the size of the data section");
    }
    // elements is bounded by the shape check, so the product cannot overflow.
    if (entry.end - entry.begin != elements * kElementBytes) {
      Fail(where + " data_offsets [" + std::to_string(entry.begin) + ", " +
               std::to_string(entry.end) + "]",
           "expected " + std::to_string(elements * kElementBytes) + " bytes for " +
               std::to_string(elements) + " F64 elements of its shape");
    }
    return entry;
  }

  void CheckDtype(const std::string& where, const json& dtype) const {
    if (!dtype.is_string()) Fail(where + " dtype", "expected a string such as \"F64\"");
    const std::string name = dtype.get<std::string>();
    if (name == kDtype) return;
    Fail(where + " dtype '" + name + "'",
         IsKnownDtype(name) ? "expected F64, the only dtype fedcrm model files use"
                            : "expected a safetensors dtype (fedcrm uses F64)");
  }

  // Returns the element count; fails unless it fits in the data section.
  uint64_t ParseShape(const std::string& where, const json& shape,
                      std::vector<int64_t>* dims) const {
    if (!shape.is_array()) Fail(where + " shape", "expected an array of non-negative integers");
    uint64_t elements = 1;
    bool has_zero = false;
    bool overflow = false;
    for (const json& dim : shape) {
      if (!dim.is_number_unsigned() ||
          dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Fail(where + " shape", "expected an array of non-negative 64-bit integers");
      }
      const uint64_t d = dim.get<uint64_t>();
      dims->push_back(static_cast<int64_t>(d));
      has_zero = has_zero || d == 0;
      overflow = overflow || __builtin_mul_overflow(elements, d, &elements);
    }
    if (has_zero) return 0;
    if (overflow || elements > data_.size() / kElementBytes) {
      Fail(where + " shape", "expected at most " + std::to_string(data_.size() / kElementBytes) +
                                 " elements, all the data section holds");
    }
    return elements;
  }

  // Tensors must tile the data section exactly: in offset order, each starts
  // where the previous ended, the first at 0 and the last at its end.
  void CheckCoverage(std::vector<Entry>* entries) const {
    std::sort(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected = 0;
    for (const Entry& entry : *entries) {
      if (entry.begin != expected) {
        Fail("tensor '" + entry.name + "' data_offsets begin " + std::to_string(entry.begin),
             "expected " + std::to_string(expected) +
                 (entry.begin < expected ? " (tensors overlap)" : " (gap between tensors)"));
      }
      expected = entry.end;
    }
    if (expected != data_.size()) {
      Fail("data section of " + std::to_string(data_.size()) + " bytes",
           "expected " + std::to_string(expected) + " bytes, what the tensors cover");
    }
  }

  NamedTensor Load(const Entry& entry) const {
    NamedTensor tensor{entry.name, entry.shape, {}};
    const size_t count = static_cast<size_t>((entry.end - entry.begin) / kElementBytes);
    tensor.values.resize(count);
    const char* p = data_.data() + entry.begin;
    for (size_t i = 0; i < count; ++i) {
      tensor.values[i] = std::bit_cast<double>(GetLittleEndian64(p + i * kElementBytes));
    }
    return tensor;
  }

  std::string_view bytes_;
  const std::string& source_;
  std::string_view data_;
};

}  // namespace

std::string WriteSafetensors(const SafetensorsContents& contents) {
  json header = json::object();
  uint64_t offset = 0;
  for (const NamedTensor& tensor : contents.tensors) {
    if (tensor.name.empty() || tensor.name == kMetadataKey || header.contains(tensor.name)) {
      throw std::invalid_argument("safetensors: bad or duplicate tensor name '" + tensor.name +
                                  "'");
    }
    uint64_t elements = 1;
    for (int64_t d : tensor.shape) {
      if (d < 0) throw std::invalid_argument("safetensors: negative dimension in " + tensor.name);
      elements *= static_cast<uint64_t>(d);
    }
    if (elements != tensor.values.size()) {
      throw std::invalid_argument("safetensors: shape of " + tensor.name +
                                  " does not match its value count");
    }
    const uint64_t end = offset + elements * kElementBytes;
    header[tensor.name] = {
        {"dtype", kDtype}, {"shape", tensor.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  if (!contents.metadata.empty()) header[kMetadataKey] = contents.metadata;

  std::string header_text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  // Pad so that 8 + header length, where the data starts, is a multiple of 8.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + header_text.size() + offset);
  PutLittleEndian64(header_text.size(), &out);
  out += header_text;
  for (const NamedTensor& tensor : contents.tensors) {
    for (double v : tensor.values) PutLittleEndian64(std::bit_cast<uint64_t>(v), &out);
  }
  return out;
}

SafetensorsContents ReadSafetensors(std::string_view bytes, const std::string& source) {
  return Reader(bytes, source).Read();
}

}  // namespace fedcrm::model
