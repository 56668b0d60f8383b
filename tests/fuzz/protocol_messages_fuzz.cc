// libFuzzer target for every SecAgg protocol message decoder: arbitrary bytes
// must decode or throw fedcrm::Error (DecodeError); anything else — another
// exception, a crash, a sanitizer report, a huge allocation — is a bug.
// A message that decodes must re-encode to exactly the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/common/error.h"
#include "core/secagg/protocol_messages.h"

namespace {

using namespace fedcrm::secagg;

template <typename Decode, typename Reencode>
void Check(std::span<const uint8_t> input, Decode decode, Reencode reencode) {
  try {
    const auto message = decode(input);
    const Bytes again = reencode(message);
    if (again.size() != input.size() || !std::equal(again.begin(), again.end(), input.begin())) {
      std::abort();  // not canonical: two encodings of one message
    }
  } catch (const fedcrm::Error&) {
    // Refused with a reason: what a malformed message must get.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  DecodeLimits limits;
  limits.max_clients = 64;
  limits.max_vector_length = 4096;
  for (int bits : {32, 64}) {
    limits.modulus_bits = bits;
    Check(
        input, [&](auto in) { return DecodeMaskedInput(in, limits); },
        [&](const auto& m) { return Encode(m, bits); });
  }
  Check(
      input, [](auto in) { return DecodeAdvertiseKeys(in); },
      [](const auto& m) { return Encode(m); });
  Check(
      input, [&](auto in) { return DecodeKeyDirectory(in, limits); },
      [](const auto& m) { return Encode(m); });
  Check(
      input, [&](auto in) { return DecodeShareKeys(in, limits); },
      [](const auto& m) { return Encode(m); });
  Check(
      input, [&](auto in) { return DecodeShareInbox(in, limits); },
      [](const auto& m) { return Encode(m); });
  Check(
      input, [&](auto in) { return DecodeSurvivorList(in, limits); },
      [](const auto& m) { return Encode(m); });
  Check(
      input, [&](auto in) { return DecodeUnmaskShares(in, limits); },
      [](const auto& m) { return Encode(m); });
  return 0;
}
