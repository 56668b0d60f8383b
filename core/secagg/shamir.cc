#include "core/secagg/shamir.h"

#include <openssl/bn.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

// Upper bound on n: shares travel one per silo, and the quadratic Lagrange
// step should stay cheap.
constexpr int kMaxShares = 65535;

struct BnDeleter {
  // Coefficients and shares are secret: clear before freeing.
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
struct BnCtxDeleter {
  void operator()(BN_CTX* ctx) const { BN_CTX_free(ctx); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;
using BnCtx = std::unique_ptr<BN_CTX, BnCtxDeleter>;

[[noreturn]] void Fail(const std::string& where, const std::string& problem) {
  throw SecAggError(where, problem);
}

void Check(bool ok) {
  // BIGNUM calls fail only on allocation failure or internal errors.
  if (!ok) Fail("shamir", "OpenSSL BIGNUM operation failed");
}

Bn NewBn() {
  Bn bn(BN_secure_new());
  Check(bn != nullptr);
  return bn;
}

BnCtx NewCtx() {
  BnCtx ctx(BN_CTX_secure_new());
  Check(ctx != nullptr);
  return ctx;
}

const BIGNUM* Prime() {
  // Built once; BIGNUMs are safe to read concurrently.
  static const BIGNUM* const prime = [] {
    BIGNUM* p = nullptr;
    const std::string hex(kShamirPrimeHex);
    Check(BN_hex2bn(&p, hex.c_str()) == static_cast<int>(hex.size()));
    return p;
  }();
  return prime;
}

Bn FromBytes(std::span<const uint8_t> bytes) {
  Bn bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  Check(bn != nullptr);
  return bn;
}

Bn FromWord(uint64_t word) {
  Bn bn = NewBn();
  Check(BN_set_word(bn.get(), word) == 1);
  return bn;
}

std::string ShareName(uint32_t x) { return "shamir share x=" + std::to_string(x); }

// Rejects a share that is not a point of the field with x != 0.
void ValidateShare(const Share& share) {
  if (share.x == 0) {
    Fail("shamir share", "x = 0: expected x >= 1 (x = 0 is the secret itself)");
  }
  Bn y = FromBytes(share.y.bytes());
  if (BN_cmp(y.get(), Prime()) >= 0) {
    Fail(ShareName(share.x), "y is not below the field prime 2^256 + 297");
  }
}

// Evaluates the polynomial through fixed points (distinct x != 0) anywhere.
// The Lagrange weights w_i = y_i / prod_{j!=i}(x_i - x_j) do not depend on
// the evaluation point, so they are computed once, with one modular inverse
// for all of them (Montgomery's batch inversion); each evaluation then costs
// O(t) multiplications. The server reconstructs one secret per client and
// checks every extra share against the first t, so this is its hot path.
class Interpolator {
 public:
  Interpolator(std::span<const Share> points, BN_CTX* ctx) : ctx_(ctx) {
    const BIGNUM* p = Prime();
    Bn diff = NewBn();
    std::vector<Bn> denominators;
    for (size_t i = 0; i < points.size(); ++i) {
      xs_.push_back(FromWord(points[i].x));
      denominators.push_back(FromWord(1));
    }
    for (size_t i = 0; i < points.size(); ++i) {
      for (size_t j = 0; j < points.size(); ++j) {
        if (j == i) continue;
        Check(BN_mod_sub(diff.get(), xs_[i].get(), xs_[j].get(), p, ctx) == 1 &&
              BN_mod_mul(denominators[i].get(), denominators[i].get(), diff.get(), p, ctx) == 1);
      }
    }
    InvertAll(denominators);
    for (size_t i = 0; i < points.size(); ++i) {
      Bn weight = FromBytes(points[i].y.bytes());
      Check(BN_mod_mul(weight.get(), weight.get(), denominators[i].get(), p, ctx) == 1);
      weights_.push_back(std::move(weight));
    }
  }

  // f(at) = sum_i w_i prod_{j!=i}(at - x_j), the products from prefix and
  // suffix products of (at - x_j).
  Bn At(uint64_t at) const {
    const BIGNUM* p = Prime();
    const size_t t = xs_.size();
    Bn at_bn = FromWord(at);
    std::vector<Bn> factors, prefix;  // prefix[i] = prod_{j<i}(at - x_j)
    prefix.push_back(FromWord(1));
    for (size_t j = 0; j < t; ++j) {
      factors.push_back(NewBn());
      Check(BN_mod_sub(factors[j].get(), at_bn.get(), xs_[j].get(), p, ctx_) == 1);
      prefix.push_back(NewBn());
      Check(BN_mod_mul(prefix[j + 1].get(), prefix[j].get(), factors[j].get(), p, ctx_) == 1);
    }
    Bn sum = FromWord(0), suffix = FromWord(1), term = NewBn();
    for (size_t i = t; i-- > 0;) {
      // term = w_i * prefix[i] * suffix, suffix = prod_{j>i}(at - x_j).
      Check(BN_mod_mul(term.get(), weights_[i].get(), prefix[i].get(), p, ctx_) == 1 &&
            BN_mod_mul(term.get(), term.get(), suffix.get(), p, ctx_) == 1 &&
            BN_mod_add(sum.get(), sum.get(), term.get(), p, ctx_) == 1 &&
            BN_mod_mul(suffix.get(), suffix.get(), factors[i].get(), p, ctx_) == 1);
    }
    return sum;
  }

 private:
  // values[i] <- values[i]^-1 mod p with a single inversion: invert the
  // product of all, then peel one factor off at a time. The x are distinct
  // and below p, so no value is zero.
  void InvertAll(std::vector<Bn>& values) const {
    const BIGNUM* p = Prime();
    std::vector<Bn> running;  // running[i] = values[0] * ... * values[i]
    for (size_t i = 0; i < values.size(); ++i) {
      running.push_back(NewBn());
      if (i == 0) {
        Check(BN_copy(running[0].get(), values[0].get()) != nullptr);
      } else {
        Check(BN_mod_mul(running[i].get(), running[i - 1].get(), values[i].get(), p, ctx_) == 1);
      }
    }
    Bn inverse = NewBn(), next = NewBn();
    Check(BN_mod_inverse(inverse.get(), running.back().get(), p, ctx_) != nullptr);
    for (size_t i = values.size(); i-- > 0;) {
      // inverse = (values[0..i])^-1; values[i]^-1 = inverse * running[i-1].
      if (i == 0) {
        Check(BN_copy(next.get(), inverse.get()) != nullptr);
      } else {
        Check(BN_mod_mul(next.get(), inverse.get(), running[i - 1].get(), p, ctx_) == 1);
      }
      Check(BN_mod_mul(inverse.get(), inverse.get(), values[i].get(), p, ctx_) == 1);
      Check(BN_copy(values[i].get(), next.get()) != nullptr);
    }
  }

  BN_CTX* ctx_;
  std::vector<Bn> xs_;
  std::vector<Bn> weights_;
};

template <size_t N>
void ToBytes(const BIGNUM* bn, SecretBytes<N>& out) {
  Check(BN_bn2binpad(bn, out.mutable_bytes().data(), static_cast<int>(N)) == static_cast<int>(N));
}

}  // namespace

std::vector<Share> Split(const Secret32& secret, int threshold, int num_shares) {
  if (num_shares < 1 || num_shares > kMaxShares) {
    Fail("shamir split", "num_shares = " + std::to_string(num_shares) + ": expected 1 to " +
                             std::to_string(kMaxShares));
  }
  if (threshold < 1 || threshold > num_shares) {
    Fail("shamir split", "threshold = " + std::to_string(threshold) +
                             ": expected 1 <= threshold <= num_shares (" +
                             std::to_string(num_shares) + ")");
  }
  BnCtx ctx = NewCtx();
  const BIGNUM* p = Prime();
  // coefficients[0] is the secret; the rest are uniform in [0, p).
  std::vector<Bn> coefficients;
  coefficients.push_back(FromBytes(secret.bytes()));
  for (int k = 1; k < threshold; ++k) {
    coefficients.push_back(NewBn());
    Check(BN_priv_rand_range(coefficients.back().get(), p) == 1);
  }
  std::vector<Share> shares(static_cast<size_t>(num_shares));
  Bn y = NewBn();
  for (int i = 0; i < num_shares; ++i) {
    const uint32_t x = static_cast<uint32_t>(i + 1);
    Bn x_bn = FromWord(x);
    // Horner: y = (...(a_{t-1} x + a_{t-2}) x + ...) x + a_0 mod p.
    Check(BN_copy(y.get(), coefficients.back().get()) != nullptr);
    for (size_t k = coefficients.size() - 1; k-- > 0;) {
      Check(BN_mod_mul(y.get(), y.get(), x_bn.get(), p, ctx.get()) == 1 &&
            BN_mod_add(y.get(), y.get(), coefficients[k].get(), p, ctx.get()) == 1);
    }
    shares[static_cast<size_t>(i)].x = x;
    ToBytes(y.get(), shares[static_cast<size_t>(i)].y);
  }
  return shares;
}

Secret32 Combine(std::span<const Share> shares, int threshold) {
  if (threshold < 1) {
    Fail("shamir combine", "threshold = " + std::to_string(threshold) + ": expected at least 1");
  }
  if (shares.size() < static_cast<size_t>(threshold)) {
    Fail("shamir combine", "got " + std::to_string(shares.size()) +
                               " shares: expected at least the threshold " +
                               std::to_string(threshold));
  }
  std::set<uint32_t> seen;
  for (const Share& share : shares) {
    ValidateShare(share);
    if (!seen.insert(share.x).second) {
      Fail(ShareName(share.x), "duplicate x: expected distinct shares");
    }
  }
  BnCtx ctx = NewCtx();
  const auto basis = shares.first(static_cast<size_t>(threshold));
  // Extra shares must agree with the polynomial of the first t; otherwise a
  // corrupted share would silently yield a wrong secret.
  const Interpolator polynomial(basis, ctx.get());
  for (const Share& extra : shares.subspan(basis.size())) {
    Bn expected = polynomial.At(extra.x);
    Bn actual = FromBytes(extra.y.bytes());
    if (BN_cmp(expected.get(), actual.get()) != 0) {
      Fail(ShareName(extra.x),
           "inconsistent with the other shares (corrupted "
           "share or shares of different secrets)");
    }
  }
  Bn secret = polynomial.At(0);
  if (BN_num_bits(secret.get()) > 256) {
    Fail("shamir combine",
         "the shares interpolate to a value above 2^256: "
         "corrupted shares or shares of different secrets");
  }
  Secret32 out;
  ToBytes(secret.get(), out);
  return out;
}

std::string Serialize(const Share& share) {
  std::string out(kSerializedShareBytes, '\0');
  for (int k = 0; k < 4; ++k) {
    out[static_cast<size_t>(k)] = static_cast<char>(share.x >> (24 - 8 * k));
  }
  const auto y = share.y.bytes();
  std::copy(y.begin(), y.end(), out.begin() + 4);
  return out;
}

Share Parse(std::string_view bytes) {
  if (bytes.size() != kSerializedShareBytes) {
    Fail("shamir share encoding", "length " + std::to_string(bytes.size()) + " bytes: expected " +
                                      std::to_string(kSerializedShareBytes));
  }
  Share share;
  for (size_t k = 0; k < 4; ++k) {
    share.x = (share.x << 8) | static_cast<uint8_t>(bytes[k]);
  }
  auto y = share.y.mutable_bytes();
  std::copy(bytes.begin() + 4, bytes.end(), y.begin());
  ValidateShare(share);
  return share;
}

}  // namespace fedcrm::secagg
