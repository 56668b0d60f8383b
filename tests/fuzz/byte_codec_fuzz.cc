// libFuzzer target for the SecAgg wire codec: arbitrary bytes decoded as an
// envelope and a message body must either decode or throw DecodeError; any
// other exception, crash or sanitizer report is a bug. A message that decodes
// must re-encode to exactly the input bytes (the encoding is canonical).
//
//   clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/byte_codec_fuzz.cc core/secagg/byte_codec.cc -o byte_codec_fuzz
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/secagg/byte_codec.h"

namespace {

using fedcrm::secagg::ByteReader;
using fedcrm::secagg::ByteWriter;
using fedcrm::secagg::DecodeError;

// The shape of a masked-input message; the low bit of the type picks the
// modulus so both vector widths are exercised.
struct Message {
  uint8_t type = 0;
  uint64_t round = 0;
  std::string client_id;
  std::vector<uint8_t> public_key;
  std::vector<uint8_t> ciphertext;
  std::vector<uint64_t> masked;
};

int ModulusBits(uint8_t type) { return (type & 1) != 0 ? 64 : 32; }

Message Decode(std::span<const uint8_t> input) {
  ByteReader reader(input, "fuzz input");
  Message m;
  m.type = fedcrm::secagg::ReadAnyEnvelope(reader);
  m.round = reader.ReadU64("round");
  m.client_id = reader.ReadString("client id", 256);
  const std::span<const uint8_t> key = reader.ReadRaw("public key", 32);
  m.public_key.assign(key.begin(), key.end());
  m.ciphertext = reader.ReadBytes("ciphertext", 4096);
  m.masked = reader.ReadU64Vector("masked vector", ModulusBits(m.type), 1 << 16);
  reader.ExpectEnd();
  return m;
}

std::vector<uint8_t> Encode(const Message& m) {
  ByteWriter writer;
  fedcrm::secagg::WriteEnvelope(writer, m.type);
  writer.WriteU64(m.round);
  writer.WriteString(m.client_id);
  writer.WriteRaw(m.public_key);
  writer.WriteBytes(m.ciphertext);
  writer.WriteU64Vector(m.masked, ModulusBits(m.type));
  return std::move(writer).Take();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  Message message;
  try {
    message = Decode(input);
  } catch (const DecodeError&) {
    return 0;
  }
  const std::vector<uint8_t> again = Encode(message);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  return 0;
}
