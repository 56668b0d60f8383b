// A fixed-size buffer of secret bytes (keys, seeds, shares) that wipes itself.
//
// Secrets live in SecretBytes rather than std::array so that every copy is
// overwritten when it goes out of scope and comparisons take constant time.
// There is deliberately no operator<< or ToString: secrets are never printed.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fedcrm::secagg {

namespace internal {
// OPENSSL_cleanse, CRYPTO_memcmp and RAND_bytes, kept out of this header so
// that including it does not pull in OpenSSL.
void Cleanse(void* data, size_t size);
bool ConstantTimeEqual(const void* a, const void* b, size_t size);
// Fills `out` from the OS-seeded CSPRNG; throws SecAggError if it fails.
void FillRandom(std::span<uint8_t> out);
}  // namespace internal

template <size_t N>
class SecretBytes {
 public:
  static constexpr size_t kSize = N;

  // All zero.
  SecretBytes() { bytes_.fill(0); }
  explicit SecretBytes(std::span<const uint8_t, N> bytes) {
    std::copy(bytes.begin(), bytes.end(), bytes_.begin());
  }
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes() { internal::Cleanse(bytes_.data(), N); }

  // Uniformly random bytes from the OS-seeded CSPRNG.
  static SecretBytes Random() {
    SecretBytes out;
    internal::FillRandom(out.mutable_bytes());
    return out;
  }

  std::span<const uint8_t, N> bytes() const { return bytes_; }
  std::span<uint8_t, N> mutable_bytes() { return bytes_; }
  static constexpr size_t size() { return N; }

  friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
    return internal::ConstantTimeEqual(a.bytes_.data(), b.bytes_.data(), N);
  }

 private:
  std::array<uint8_t, N> bytes_;
};

// The 32-byte secrets of SecAgg: private keys, shared secrets, mask seeds.
using Secret32 = SecretBytes<32>;

}  // namespace fedcrm::secagg
