#include "core/secagg/key_agreement.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

template <size_t N>
std::array<uint8_t, N> FromHex(std::string_view hex) {
  std::array<uint8_t, N> out{};
  EXPECT_EQ(hex.size(), 2 * N);
  for (size_t i = 0; i < N; ++i) {
    out[i] = static_cast<uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

Secret32 SecretFromHex(std::string_view hex) {
  const auto bytes = FromHex<32>(hex);
  return Secret32(std::span<const uint8_t, 32>(bytes));
}

// RFC 7748 section 6.1.
constexpr std::string_view kAlicePrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePublic =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kBobPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kBobPublic =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kShared =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(KeyAgreementTest, MatchesRfc7748Vectors) {
  const KeyPair alice = KeyPair::FromPrivateKey(SecretFromHex(kAlicePrivate));
  const KeyPair bob = KeyPair::FromPrivateKey(SecretFromHex(kBobPrivate));
  EXPECT_EQ(alice.public_key(), FromHex<32>(kAlicePublic));
  EXPECT_EQ(bob.public_key(), FromHex<32>(kBobPublic));
  EXPECT_TRUE(Agree(alice, bob.public_key()) == SecretFromHex(kShared));
  EXPECT_TRUE(Agree(bob, alice.public_key()) == SecretFromHex(kShared));
}

TEST(KeyAgreementTest, GeneratedPairsAgreeAndDiffer) {
  const KeyPair a = KeyPair::Generate();
  const KeyPair b = KeyPair::Generate();
  const KeyPair c = KeyPair::Generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_FALSE(a.private_key() == b.private_key());
  EXPECT_TRUE(Agree(a, b.public_key()) == Agree(b, a.public_key()));
  EXPECT_FALSE(Agree(a, b.public_key()) == Agree(a, c.public_key()));
}

TEST(KeyAgreementTest, RebuildingFromPrivateKeyGivesSamePair) {
  const KeyPair a = KeyPair::Generate();
  const KeyPair rebuilt = KeyPair::FromPrivateKey(a.private_key());
  EXPECT_EQ(rebuilt.public_key(), a.public_key());
  const KeyPair b = KeyPair::Generate();
  EXPECT_TRUE(Agree(rebuilt, b.public_key()) == Agree(b, a.public_key()));
}

TEST(KeyAgreementTest, RejectsLowOrderPublicKeys) {
  const KeyPair a = KeyPair::Generate();
  // u = 0 and u = 1 are points of order 1 and 4; the third is a point of
  // order 8 (from the list of small-order points in the curve25519 literature).
  const PublicKey zero{};
  PublicKey one{};
  one[0] = 1;
  const PublicKey order8 =
      FromHex<32>("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
  for (const PublicKey& bad : {zero, one, order8}) {
    try {
      Agree(a, bad);
      ADD_FAILURE() << "low-order point accepted";
    } catch (const SecAggError& e) {
      EXPECT_NE(std::string(e.what()).find("low-order"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace fedcrm::secagg
