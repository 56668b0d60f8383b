#include "core/secagg/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>
#include <string>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

struct KdfDeleter {
  void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
};
struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

OSSL_PARAM OctetParam(const char* name, std::span<const uint8_t> bytes) {
  // OSSL_PARAM takes non-const pointers but only reads input parameters.
  return OSSL_PARAM_construct_octet_string(name, const_cast<uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

void HkdfInto(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
              std::span<const uint8_t> info, std::span<uint8_t> out) {
  if (ikm.empty()) {
    throw SecAggError("hkdf", "input keying material is empty; expected a secret");
  }
  if (out.empty() || out.size() > kHkdfMaxLength) {
    throw SecAggError("hkdf", "output length " + std::to_string(out.size()) + ": expected 1 to " +
                                  std::to_string(kHkdfMaxLength) + " bytes");
  }
  std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) throw SecAggError("hkdf", "OpenSSL has no HKDF implementation");
  std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) throw SecAggError("hkdf", "OpenSSL could not create an HKDF context");

  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OctetParam(OSSL_KDF_PARAM_KEY, ikm);
  // Absent salt and info parameters give the RFC defaults (zero salt, empty
  // info); OpenSSL rejects zero-length octet strings for some of them.
  if (!salt.empty()) params[n++] = OctetParam(OSSL_KDF_PARAM_SALT, salt);
  if (!info.empty()) params[n++] = OctetParam(OSSL_KDF_PARAM_INFO, info);
  params[n] = OSSL_PARAM_construct_end();

  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    internal::Cleanse(out.data(), out.size());
    throw SecAggError("hkdf", "OpenSSL HKDF-SHA256 derivation failed");
  }
}

std::vector<uint8_t> Hkdf(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                          std::span<const uint8_t> info, size_t length) {
  if (length == 0 || length > kHkdfMaxLength) {
    throw SecAggError("hkdf", "output length " + std::to_string(length) + ": expected 1 to " +
                                  std::to_string(kHkdfMaxLength) + " bytes");
  }
  std::vector<uint8_t> out(length);
  HkdfInto(ikm, salt, info, out);
  return out;
}

}  // namespace fedcrm::secagg
