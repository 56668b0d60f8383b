#include "core/train/secure_random.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cassert>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <string>

namespace fedcrm::train {
namespace {

EVP_CIPHER_CTX* AsCtx(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }

// The OpenSSL calls below fail only on allocation failure or a broken
// library, neither of which a user can cause or fix.
[[noreturn]] void FailOpenSsl(const char* what) {
  throw std::runtime_error(std::string("SecureRandom: OpenSSL ") + what + " failed");
}

}  // namespace

void SecureRandom::CipherDeleter::operator()(void* ctx) const { EVP_CIPHER_CTX_free(AsCtx(ctx)); }

SecureRandom::SecureRandom(const Key& key) : cipher_(EVP_CIPHER_CTX_new()) {
  if (!cipher_) FailOpenSsl("EVP_CIPHER_CTX_new");
  // A zero IV is safe because every generator gets its own key; the counter
  // then runs from 0 and never repeats within 2^128 blocks.
  const std::array<uint8_t, 16> iv{};
  if (EVP_EncryptInit_ex(AsCtx(cipher_.get()), EVP_aes_256_ctr(), nullptr, key.data(), iv.data()) !=
      1) {
    FailOpenSsl("EVP_EncryptInit_ex");
  }
}

SecureRandom::~SecureRandom() = default;
SecureRandom::SecureRandom(SecureRandom&& other) noexcept = default;
SecureRandom& SecureRandom::operator=(SecureRandom&& other) noexcept = default;

SecureRandom SecureRandom::FromOsEntropy() {
  Key key;
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) FailOpenSsl("RAND_bytes");
  SecureRandom rng(key);
  OPENSSL_cleanse(key.data(), key.size());
  return rng;
}

SecureRandom SecureRandom::ForTesting(uint64_t seed) {
  // Hash the seed so that nearby seeds give unrelated keys.
  uint8_t seed_bytes[8];
  for (int i = 0; i < 8; ++i) seed_bytes[i] = static_cast<uint8_t>(seed >> (8 * i));
  Key key;
  unsigned int len = 0;
  if (EVP_Digest(seed_bytes, sizeof(seed_bytes), key.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != key.size()) {
    FailOpenSsl("EVP_Digest");
  }
  return SecureRandom(key);
}

void SecureRandom::Refill() {
  assert(cipher_ && "use of a moved-from SecureRandom");
  // Encrypting zeros yields the raw keystream.
  static constexpr std::array<uint8_t, kBufferBytes> kZeros{};
  int out_len = 0;
  if (EVP_EncryptUpdate(AsCtx(cipher_.get()), buffer_.data(), &out_len, kZeros.data(),
                        static_cast<int>(kBufferBytes)) != 1 ||
      out_len != static_cast<int>(kBufferBytes)) {
    FailOpenSsl("EVP_EncryptUpdate");
  }
  buffer_pos_ = 0;
}

uint64_t SecureRandom::NextU64() {
  if (buffer_pos_ + sizeof(uint64_t) > kBufferBytes) Refill();
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(uint64_t); ++i) {
    value |= static_cast<uint64_t>(buffer_[buffer_pos_ + i]) << (8 * i);
  }
  buffer_pos_ += sizeof(uint64_t);
  return value;
}

double SecureRandom::Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

uint64_t SecureRandom::UniformIndex(uint64_t n) {
  assert(n > 0);
  // Reject the top partial copy of [0, n) so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
  uint64_t x;
  do {
    x = NextU64();
  } while (x > limit);
  return x % n;
}

double SecureRandom::Gaussian() {
  if (has_spare_gaussian_) {
    has_spare_gaussian_ = false;
    return spare_gaussian_;
  }
  // Box-Muller with u1 on (0, 1], so log(u1) is finite.
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_gaussian_ = radius * std::sin(angle);
  has_spare_gaussian_ = true;
  return radius * std::cos(angle);
}

bool SecureRandom::Bernoulli(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return Uniform() < p;
}

}  // namespace fedcrm::train
