#include "bench/npy_file.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <regex>
#include <vector>

#include "core/common/error.h"

namespace fedcrm::bench {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the .npy files are written in the host's byte order and labelled little-endian");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr size_t kPreambleBytes = kMagicBytes + 2 + 2;  // magic, version, header length
// NumPy pads the header so that the data starts on a 64-byte boundary.
constexpr size_t kAlignment = 64;

[[noreturn]] void Fail(const std::string& path, const std::string& expected) {
  DataError::Position position;
  position.file = path;
  throw DataError(position, "", expected);
}

// Python's tuple syntax: "(3,)" for one dimension, "(3, 4)" for two.
std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(std::to_string(shape[i]));
  }
  if (shape.size() == 1) out.append(",");
  return out.append(")");
}

void WriteArray(const std::string& path, const std::string& descr,
                const std::vector<int64_t>& shape, const char* data, size_t bytes) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + ShapeText(shape) + ", }";
  const size_t unpadded = kPreambleBytes + header.size() + 1;  // + '\n'
  header.append((kAlignment - unpadded % kAlignment) % kAlignment, ' ');
  header.push_back('\n');

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) Fail(path, "a writable file");
  const uint16_t header_bytes = static_cast<uint16_t>(header.size());
  out.write(kMagic, kMagicBytes);
  out.put(1).put(0);
  out.put(static_cast<char>(header_bytes & 0xff)).put(static_cast<char>(header_bytes >> 8));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(data, static_cast<std::streamsize>(bytes));
  if (!out.flush()) Fail(path, "a writable file (write failed)");
}

struct NpyArray {
  std::string descr;
  std::vector<int64_t> shape;
  std::string data;
};

std::vector<int64_t> ParseShape(const std::string& path, const std::string& text) {
  std::vector<int64_t> shape;
  static const std::regex kDim(R"(\s*(\d+)\s*,?)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kDim); it != std::sregex_iterator();
       ++it) {
    const std::string digits = (*it)[1].str();
    if (digits.size() > 12) Fail(path, "a shape with dimensions below 10^12, got " + text);
    shape.push_back(std::stoll(digits));
  }
  return shape;
}

NpyArray ReadArray(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) Fail(path, "an existing, readable .npy file");
  // One read of the whole file: the data sets are hundreds of megabytes.
  std::string bytes(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    Fail(path, "a readable .npy file (read failed)");
  }
  if (bytes.size() < kPreambleBytes || bytes.compare(0, kMagicBytes, kMagic) != 0) {
    Fail(path, "a .npy file (magic \\x93NUMPY)");
  }
  if (bytes[kMagicBytes] != 1) Fail(path, ".npy format version 1.x");
  const size_t header_bytes =
      static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  if (bytes.size() < kPreambleBytes + header_bytes) Fail(path, "a complete .npy header");
  const std::string header = bytes.substr(kPreambleBytes, header_bytes);

  static const std::regex kDescr(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex kOrder(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex kShape(R"('shape'\s*:\s*\(([^)]*)\))");
  std::smatch descr, order, shape;
  if (!std::regex_search(header, descr, kDescr) || !std::regex_search(header, order, kOrder) ||
      !std::regex_search(header, shape, kShape)) {
    Fail(path, "a .npy header with 'descr', 'fortran_order' and 'shape'");
  }
  if (order[1].str() != "False") Fail(path, "a C-order array (fortran_order False)");

  NpyArray array;
  array.descr = descr[1].str();
  array.shape = ParseShape(path, shape[1].str());
  array.data = bytes.substr(kPreambleBytes + header_bytes);
  return array;
}

void CheckLayout(const std::string& path, const NpyArray& array, const std::string& descr,
                 size_t dims, size_t item_bytes) {
  if (array.descr != descr) Fail(path, "dtype '" + descr + "', got '" + array.descr + "'");
  if (array.shape.size() != dims) {
    Fail(path, std::to_string(dims) + "-d array, got shape " + ShapeText(array.shape));
  }
  size_t count = 1;
  for (int64_t d : array.shape) {
    if (d > 0 && count > std::numeric_limits<size_t>::max() / static_cast<size_t>(d)) {
      Fail(path, "a shape whose size fits in memory");
    }
    count *= static_cast<size_t>(d);
  }
  if (count > array.data.size() / item_bytes || array.data.size() != count * item_bytes) {
    Fail(path, std::to_string(count * item_bytes) + " data bytes for shape " +
                   ShapeText(array.shape) + ", got " + std::to_string(array.data.size()));
  }
}

}  // namespace

void WriteNpyMatrix(const std::string& path, const Eigen::MatrixXd& x) {
  const RowMajorMatrix row_major = x;
  WriteArray(path, "<f8", {x.rows(), x.cols()}, reinterpret_cast<const char*>(row_major.data()),
             static_cast<size_t>(row_major.size()) * sizeof(double));
}

void WriteNpyVector(const std::string& path, const Eigen::VectorXi& y) {
  static_assert(sizeof(int) == 4, "'<i4' is a 32-bit int");
  WriteArray(path, "<i4", {y.size()}, reinterpret_cast<const char*>(y.data()),
             static_cast<size_t>(y.size()) * sizeof(int));
}

Eigen::MatrixXd ReadNpyMatrix(const std::string& path) {
  const NpyArray array = ReadArray(path);
  CheckLayout(path, array, "<f8", 2, sizeof(double));
  RowMajorMatrix x(array.shape[0], array.shape[1]);
  std::memcpy(x.data(), array.data.data(), array.data.size());
  return x;
}

Eigen::VectorXi ReadNpyVector(const std::string& path) {
  const NpyArray array = ReadArray(path);
  CheckLayout(path, array, "<i4", 1, sizeof(int));
  Eigen::VectorXi y(array.shape[0]);
  std::memcpy(y.data(), array.data.data(), array.data.size());
  return y;
}

}  // namespace fedcrm::bench
