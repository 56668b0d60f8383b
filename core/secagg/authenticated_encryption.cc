#include "core/secagg/authenticated_encryption.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>

#include "core/secagg/hkdf.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

constexpr std::string_view kAadLabel = "fedcrm share v1";
constexpr size_t kAadBytes = kAadLabel.size() + 8 + 4 + 4;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

std::array<uint8_t, kAadBytes> EncodeAad(const ShareAad& aad) {
  std::array<uint8_t, kAadBytes> out{};
  size_t pos = 0;
  for (char c : kAadLabel) out[pos++] = static_cast<uint8_t>(c);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out[pos++] = static_cast<uint8_t>(aad.round_id >> shift);
  }
  for (uint32_t id : {aad.sender, aad.receiver}) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out[pos++] = static_cast<uint8_t>(id >> shift);
    }
  }
  return out;
}

std::string Describe(const ShareAad& aad) {
  return "share ciphertext of round " + std::to_string(aad.round_id) + " from silo " +
         std::to_string(aad.sender) + " to silo " + std::to_string(aad.receiver);
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* MutableBytes(std::string& s) { return reinterpret_cast<uint8_t*>(s.data()); }

}  // namespace

ShareKey DeriveShareKey(const SharedSecret& secret) {
  return HkdfSecret<32>(secret.bytes(), "fedcrm share key");
}

std::string Seal(const ShareKey& key, std::string_view plaintext, const ShareAad& aad) {
  if (plaintext.size() > static_cast<size_t>(INT_MAX) - kSealOverhead) {
    throw SecAggError(Describe(aad), "plaintext too large to seal");
  }
  std::string out(kSealOverhead + plaintext.size(), '\0');
  uint8_t* nonce = MutableBytes(out);
  uint8_t* ciphertext = nonce + kNonceBytes;
  uint8_t* tag = ciphertext + plaintext.size();
  internal::FillRandom({nonce, kNonceBytes});
  const auto encoded_aad = EncodeAad(aad);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes().data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, encoded_aad.data(),
                        static_cast<int>(encoded_aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), ciphertext, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
  if (!ok) {
    internal::Cleanse(out.data(), out.size());
    throw SecAggError(Describe(aad), "OpenSSL AES-256-GCM encryption failed");
  }
  return out;
}

std::string Open(const ShareKey& key, std::string_view sealed, const ShareAad& aad) {
  if (sealed.size() < kSealOverhead) {
    throw SecAggError(Describe(aad), "truncated: " + std::to_string(sealed.size()) +
                                         " bytes, expected at least " +
                                         std::to_string(kSealOverhead));
  }
  if (sealed.size() > static_cast<size_t>(INT_MAX)) {
    throw SecAggError(Describe(aad), "ciphertext too large");
  }
  const uint8_t* nonce = Bytes(sealed);
  const uint8_t* ciphertext = nonce + kNonceBytes;
  const size_t ciphertext_size = sealed.size() - kSealOverhead;
  // EVP_CIPHER_CTX_ctrl wants a mutable tag buffer.
  std::array<uint8_t, kTagBytes> tag;
  std::copy_n(ciphertext + ciphertext_size, kTagBytes, tag.begin());
  const auto encoded_aad = EncodeAad(aad);

  std::string plaintext(ciphertext_size, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool set_up =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes().data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, encoded_aad.data(),
                        static_cast<int>(encoded_aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), MutableBytes(plaintext), &len, ciphertext,
                        static_cast<int>(ciphertext_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1;
  if (!set_up || EVP_DecryptFinal_ex(ctx.get(), MutableBytes(plaintext) + len, &len) != 1) {
    // Unauthenticated plaintext must not survive, even in freed memory.
    internal::Cleanse(plaintext.data(), plaintext.size());
    throw SecAggError(Describe(aad),
                      "authentication failed: the ciphertext was altered, or "
                      "the key, round, sender or receiver does not match");
  }
  return plaintext;
}

}  // namespace fedcrm::secagg
