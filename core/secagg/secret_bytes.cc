#include "core/secagg/secret_bytes.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <climits>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg::internal {

void Cleanse(void* data, size_t size) { OPENSSL_cleanse(data, size); }

bool ConstantTimeEqual(const void* a, const void* b, size_t size) {
  return CRYPTO_memcmp(a, b, size) == 0;
}

void FillRandom(std::span<uint8_t> out) {
  // RAND_bytes takes an int; callers ask for keys and seeds, never gigabytes.
  if (out.size() > static_cast<size_t>(INT_MAX) ||
      RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw SecAggError("random bytes", "the OpenSSL CSPRNG failed to produce " +
                                          std::to_string(out.size()) + " bytes");
  }
}

}  // namespace fedcrm::secagg::internal
