// A cryptographically strong random generator for DP noise and sampling.
//
// Differential privacy holds only if the noise and the Poisson sample are
// unpredictable to an adversary, so they cannot come from std::mt19937 (whose
// state is recoverable from its output). SecureRandom is the AES-256-CTR
// keystream under a 32-byte key, read in buffered blocks.
//
// Caveat: floating-point Gaussian samples have irregular low-order bits that
// can reveal the unnoised value (Mironov 2012, "On significance of the least
// significant bits for differential privacy"); this generator does not defend
// against that attack.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace fedcrm::train {

class SecureRandom {
 public:
  static constexpr size_t kKeyBytes = 32;
  using Key = std::array<uint8_t, kKeyBytes>;

  // Keyed from the operating system's entropy source (OpenSSL RAND_bytes).
  // This is the only constructor production code should use.
  static SecureRandom FromOsEntropy();

  // Deterministic stream derived from `seed`. For tests and simulations only:
  // anyone who knows the seed knows every noise draw, so it gives no privacy.
  static SecureRandom ForTesting(uint64_t seed);

  explicit SecureRandom(const Key& key);
  ~SecureRandom();
  SecureRandom(SecureRandom&& other) noexcept;
  SecureRandom& operator=(SecureRandom&& other) noexcept;
  SecureRandom(const SecureRandom&) = delete;
  SecureRandom& operator=(const SecureRandom&) = delete;

  uint64_t NextU64();

  // Uniform on [0, 1) with 53 random bits (every double k * 2^-53).
  double Uniform();

  // Uniform integer in [0, n); unbiased. Requires n > 0.
  uint64_t UniformIndex(uint64_t n);

  // Standard normal N(0, 1).
  double Gaussian();

  // True with probability p; p <= 0 is never true, p >= 1 always.
  bool Bernoulli(double p);

 private:
  struct CipherDeleter {
    void operator()(void* ctx) const;
  };

  void Refill();

  // An EVP_CIPHER_CTX*, type-erased to keep OpenSSL out of this header.
  std::unique_ptr<void, CipherDeleter> cipher_;
  static constexpr size_t kBufferBytes = 4096;
  std::array<uint8_t, kBufferBytes> buffer_{};
  size_t buffer_pos_ = kBufferBytes;  // all consumed: refill on first use
  bool has_spare_gaussian_ = false;
  double spare_gaussian_ = 0.0;
};

}  // namespace fedcrm::train
