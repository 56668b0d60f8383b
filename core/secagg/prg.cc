#include "core/secagg/prg.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <string>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

// Mask values produced per keystream call: 32 KiB of 8-byte words, big
// enough to amortise the EVP call, small enough to stay in L1/L2.
constexpr size_t kChunkValues = 4096;
constexpr size_t kChunkBytes = kChunkValues * 8;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

void CheckBits(int bits) {
  if (bits < 1 || bits > 64) {
    throw SecAggError("mask", "modulus 2^" + std::to_string(bits) + ": expected bits in 1..64");
  }
}

uint64_t ModulusMask(int bits) { return bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// The AES-256-CTR keystream of a seed, in order, chunk by chunk.
class Keystream {
 public:
  explicit Keystream(const Seed& seed) : ctx_(EVP_CIPHER_CTX_new()) {
    // The initial counter block: all zero.
    const std::array<uint8_t, 16> iv{};
    if (!ctx_ || EVP_EncryptInit_ex(ctx_.get(), EVP_aes_256_ctr(), nullptr, seed.bytes().data(),
                                    iv.data()) != 1) {
      throw SecAggError("mask", "OpenSSL could not initialise AES-256-CTR");
    }
  }

  // Fills `out` (at most kChunkBytes) with the next keystream bytes.
  void Next(std::span<uint8_t> out) {
    static const std::array<uint8_t, kChunkBytes> kZeros{};
    int written = 0;
    if (EVP_EncryptUpdate(ctx_.get(), out.data(), &written, kZeros.data(),
                          static_cast<int>(out.size())) != 1 ||
        written != static_cast<int>(out.size())) {
      throw SecAggError("mask", "OpenSSL AES-256-CTR keystream generation failed");
    }
  }

 private:
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx_;
};

void CheckLength(size_t length) {
  if (length > kMaxMaskLength) {
    throw SecAggError("mask", "length " + std::to_string(length) + ": expected at most " +
                                  std::to_string(kMaxMaskLength));
  }
}

// The i-th little-endian Word of `bytes`. On little-endian hosts a copy the
// compiler vectorises; the portable branch keeps masks platform-independent.
template <typename Word>
Word ReadWord(const uint8_t* bytes, size_t i) {
  Word word;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&word, bytes + i * sizeof(Word), sizeof(Word));
  } else {
    word = 0;
    for (size_t b = sizeof(Word); b-- > 0;) {
      word = static_cast<Word>((word << 8) | bytes[i * sizeof(Word) + b]);
    }
  }
  return word;
}

// Decodes `out.size()` words of type Word from `bytes`, reduced by
// `modulus_mask`.
template <typename Word>
void LoadWords(const uint8_t* bytes, std::span<uint64_t> out, uint64_t modulus_mask) {
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint64_t>(ReadWord<Word>(bytes, i)) & modulus_mask;
  }
}

// chunk[i] += / -= the i-th Word of `bytes`, unreduced: unsigned arithmetic
// wraps mod 2^64 and 2^bits divides 2^64, so one final reduction after all
// masks gives the right value mod 2^bits.
template <typename Word, bool kSubtract>
void AccumulateWords(const uint8_t* bytes, std::span<uint64_t> chunk) {
  for (size_t i = 0; i < chunk.size(); ++i) {
    const uint64_t word = ReadWord<Word>(bytes, i);
    chunk[i] = kSubtract ? chunk[i] - word : chunk[i] + word;
  }
}

// Calls fn(offset, chunk) for consecutive chunks of the mask of `length`
// values, so callers can add, subtract or copy without holding it whole.
template <typename Fn>
void ForEachMaskChunk(const Seed& seed, size_t length, int bits, Fn fn) {
  CheckBits(bits);
  CheckLength(length);
  const size_t width = bits <= 32 ? 4 : 8;
  const uint64_t modulus_mask = ModulusMask(bits);
  Keystream keystream(seed);
  std::array<uint8_t, kChunkBytes> bytes;
  std::array<uint64_t, kChunkValues> values;
  for (size_t offset = 0; offset < length; offset += kChunkValues) {
    const size_t count = std::min(kChunkValues, length - offset);
    keystream.Next(std::span(bytes).first(count * width));
    const std::span<uint64_t> chunk(values.data(), count);
    if (width == 4) {
      LoadWords<uint32_t>(bytes.data(), chunk, modulus_mask);
    } else {
      LoadWords<uint64_t>(bytes.data(), chunk, modulus_mask);
    }
    fn(offset, std::span<const uint64_t>(values.data(), count));
  }
  // The masks hide silo updates; do not leave them on the stack.
  internal::Cleanse(bytes.data(), bytes.size());
  internal::Cleanse(values.data(), sizeof(values));
}

void CheckSameLength(size_t values, size_t mask) {
  if (values != mask) {
    throw SecAggError("mask", "mask of length " + std::to_string(mask) +
                                  " applied to a vector of length " + std::to_string(values) +
                                  ": expected equal lengths");
  }
}

void AddInto(uint64_t* values, std::span<const uint64_t> mask, uint64_t modulus_mask) {
  // Unsigned arithmetic wraps mod 2^64, and 2^bits divides 2^64, so a final
  // reduction gives the sum mod 2^bits.
  for (size_t i = 0; i < mask.size(); ++i) {
    values[i] = (values[i] + mask[i]) & modulus_mask;
  }
}

void SubtractFrom(uint64_t* values, std::span<const uint64_t> mask, uint64_t modulus_mask) {
  for (size_t i = 0; i < mask.size(); ++i) {
    values[i] = (values[i] - mask[i]) & modulus_mask;
  }
}

}  // namespace

std::vector<uint64_t> ExpandMask(const Seed& seed, size_t length, int bits) {
  CheckBits(bits);
  CheckLength(length);
  std::vector<uint64_t> out(length);
  ForEachMaskChunk(seed, length, bits, [&](size_t offset, std::span<const uint64_t> chunk) {
    std::copy(chunk.begin(), chunk.end(), out.begin() + offset);
  });
  return out;
}

void AddMask(std::span<uint64_t> values, std::span<const uint64_t> mask, int bits) {
  CheckBits(bits);
  CheckSameLength(values.size(), mask.size());
  AddInto(values.data(), mask, ModulusMask(bits));
}

void SubtractMask(std::span<uint64_t> values, std::span<const uint64_t> mask, int bits) {
  CheckBits(bits);
  CheckSameLength(values.size(), mask.size());
  SubtractFrom(values.data(), mask, ModulusMask(bits));
}

void AddMask(std::span<uint64_t> values, const Seed& seed, int bits) {
  const SignedSeed mask{seed, false};
  ApplyMasks(values, std::span(&mask, 1), bits);
}

void SubtractMask(std::span<uint64_t> values, const Seed& seed, int bits) {
  const SignedSeed mask{seed, true};
  ApplyMasks(values, std::span(&mask, 1), bits);
}

void ApplyMasks(std::span<uint64_t> values, std::span<const SignedSeed> masks, int bits) {
  CheckBits(bits);
  CheckLength(values.size());
  std::vector<Keystream> keystreams;
  keystreams.reserve(masks.size());
  for (const SignedSeed& mask : masks) keystreams.emplace_back(mask.seed);
  const size_t width = bits <= 32 ? 4 : 8;
  const uint64_t modulus_mask = ModulusMask(bits);
  std::array<uint8_t, kChunkBytes> bytes;
  for (size_t offset = 0; offset < values.size(); offset += kChunkValues) {
    const size_t count = std::min(kChunkValues, values.size() - offset);
    const std::span<uint64_t> chunk = values.subspan(offset, count);
    for (size_t m = 0; m < masks.size(); ++m) {
      keystreams[m].Next(std::span(bytes).first(count * width));
      const bool subtract = masks[m].subtract;
      if (width == 4) {
        subtract ? AccumulateWords<uint32_t, true>(bytes.data(), chunk)
                 : AccumulateWords<uint32_t, false>(bytes.data(), chunk);
      } else {
        subtract ? AccumulateWords<uint64_t, true>(bytes.data(), chunk)
                 : AccumulateWords<uint64_t, false>(bytes.data(), chunk);
      }
    }
    for (uint64_t& value : chunk) value &= modulus_mask;
  }
  internal::Cleanse(bytes.data(), bytes.size());
}

}  // namespace fedcrm::secagg
