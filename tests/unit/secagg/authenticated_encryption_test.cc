#include "core/secagg/authenticated_encryption.h"

#include <gtest/gtest.h>

#include <string>

#include "core/secagg/key_agreement.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

class AuthenticatedEncryptionTest : public ::testing::Test {
 protected:
  AuthenticatedEncryptionTest()
      : alice_(KeyPair::Generate()),
        bob_(KeyPair::Generate()),
        key_(DeriveShareKey(Agree(alice_, bob_.public_key()))) {}

  KeyPair alice_;
  KeyPair bob_;
  ShareKey key_;
  const ShareAad aad_{.round_id = 42, .sender = 3, .receiver = 7};
  const std::string plaintext_ = std::string("share\0bytes", 11) + std::string(100, 'x');
};

TEST_F(AuthenticatedEncryptionTest, RoundTripsBetweenTwoSilos) {
  const std::string sealed = Seal(key_, plaintext_, aad_);
  EXPECT_EQ(sealed.size(), plaintext_.size() + kSealOverhead);
  EXPECT_EQ(sealed.find("share"), std::string::npos);
  // The receiver derives the same key from its side of the agreement.
  const ShareKey bobs_key = DeriveShareKey(Agree(bob_, alice_.public_key()));
  EXPECT_EQ(Open(bobs_key, sealed, aad_), plaintext_);
  EXPECT_EQ(Open(key_, Seal(key_, "", aad_), aad_), "");
}

TEST_F(AuthenticatedEncryptionTest, ShareKeyIsNotTheSharedSecret) {
  const SharedSecret secret = Agree(alice_, bob_.public_key());
  EXPECT_FALSE(DeriveShareKey(secret) == secret);
}

TEST_F(AuthenticatedEncryptionTest, NoncesAreFresh) {
  EXPECT_NE(Seal(key_, plaintext_, aad_), Seal(key_, plaintext_, aad_));
}

TEST_F(AuthenticatedEncryptionTest, AnyFlippedByteFails) {
  const std::string sealed = Seal(key_, plaintext_, aad_);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_THROW(Open(key_, tampered, aad_), SecAggError) << "byte " << i;
  }
}

TEST_F(AuthenticatedEncryptionTest, TruncationAndExtensionFail) {
  const std::string sealed = Seal(key_, plaintext_, aad_);
  for (size_t keep : {size_t{0}, size_t{5}, kSealOverhead - 1, kSealOverhead, sealed.size() - 1}) {
    EXPECT_THROW(Open(key_, sealed.substr(0, keep), aad_), SecAggError) << keep;
  }
  EXPECT_THROW(Open(key_, sealed + '\0', aad_), SecAggError);
}

TEST_F(AuthenticatedEncryptionTest, WrongAssociatedDataFails) {
  const std::string sealed = Seal(key_, plaintext_, aad_);
  const ShareAad swapped{.round_id = 42, .sender = 7, .receiver = 3};
  const ShareAad other_round{.round_id = 43, .sender = 3, .receiver = 7};
  const ShareAad other_receiver{.round_id = 42, .sender = 3, .receiver = 8};
  for (const ShareAad& wrong : {swapped, other_round, other_receiver}) {
    EXPECT_THROW(Open(key_, sealed, wrong), SecAggError);
  }
}

TEST_F(AuthenticatedEncryptionTest, WrongKeyFailsWithClearMessage) {
  const std::string sealed = Seal(key_, plaintext_, aad_);
  const KeyPair eve = KeyPair::Generate();
  const ShareKey eves_key = DeriveShareKey(Agree(eve, bob_.public_key()));
  try {
    Open(eves_key, sealed, aad_);
    ADD_FAILURE() << "opened with the wrong key";
  } catch (const SecAggError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("round 42 from silo 3 to silo 7"), std::string::npos) << what;
    EXPECT_NE(what.find("authentication failed"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace fedcrm::secagg
