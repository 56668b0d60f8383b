#include "core/secagg/key_agreement.h"

#include <openssl/evp.h>

#include <memory>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

[[noreturn]] void Fail(const std::string& what) { throw SecAggError("x25519", what); }

Pkey PrivateKeyFromBytes(const Secret32& private_key) {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.bytes().data(),
                                        private_key.size()));
  if (!key) Fail("OpenSSL could not load the private key");
  return key;
}

PublicKey RawPublicKey(const EVP_PKEY* key) {
  PublicKey out;
  size_t size = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &size) != 1 || size != out.size()) {
    Fail("OpenSSL could not export the public key");
  }
  return out;
}

}  // namespace

KeyPair KeyPair::Generate() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    Fail("OpenSSL key generation failed");
  }
  Pkey key(raw);
  Secret32 private_key;
  size_t size = private_key.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), private_key.mutable_bytes().data(), &size) != 1 ||
      size != private_key.size()) {
    Fail("OpenSSL could not export the private key");
  }
  return KeyPair(private_key, RawPublicKey(key.get()));
}

KeyPair KeyPair::FromPrivateKey(const Secret32& private_key) {
  Pkey key = PrivateKeyFromBytes(private_key);
  return KeyPair(private_key, RawPublicKey(key.get()));
}

SharedSecret Agree(const KeyPair& mine, const PublicKey& theirs) {
  Pkey own = PrivateKeyFromBytes(mine.private_key());
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, theirs.data(), theirs.size()));
  if (!peer) Fail("OpenSSL could not load the peer's public key");
  PkeyCtx ctx(EVP_PKEY_CTX_new(own.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    Fail("OpenSSL could not set up the key agreement");
  }
  SharedSecret secret;
  size_t size = secret.size();
  // OpenSSL itself refuses an all-zero result, so a failed derive here is
  // (almost always) a low-order peer key; the explicit check below keeps the
  // guarantee independent of the OpenSSL version.
  const bool derived = EVP_PKEY_derive(ctx.get(), secret.mutable_bytes().data(), &size) == 1 &&
                       size == secret.size();
  if (!derived || secret == SharedSecret()) {
    Fail(
        "the peer's public key is a low-order point (the shared secret would "
        "be all zero); expected a valid X25519 public key");
  }
  return secret;
}

}  // namespace fedcrm::secagg
