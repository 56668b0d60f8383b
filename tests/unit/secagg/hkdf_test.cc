#include "core/secagg/hkdf.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::vector<uint8_t> Range(int from, int to) {
  std::vector<uint8_t> out;
  for (int v = from; v <= to; ++v) out.push_back(static_cast<uint8_t>(v));
  return out;
}

// RFC 5869 appendix A, test case 1.
TEST(HkdfTest, Rfc5869Case1) {
  const std::vector<uint8_t> ikm(22, 0x0b);
  const auto salt = Range(0x00, 0x0c);
  const auto info = Range(0xf0, 0xf9);
  EXPECT_EQ(Hkdf(ikm, salt, info, 42),
            FromHex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                    "34007208d5b887185865"));
}

// Test case 2: long inputs and an output of more than two blocks.
TEST(HkdfTest, Rfc5869Case2) {
  const auto ikm = Range(0x00, 0x4f);
  const auto salt = Range(0x60, 0xaf);
  const auto info = Range(0xb0, 0xff);
  EXPECT_EQ(Hkdf(ikm, salt, info, 82),
            FromHex("b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                    "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                    "cc30c58179ec3e87c14c01d5c1f3434f1d87"));
}

// Test case 3: empty salt and info.
TEST(HkdfTest, Rfc5869Case3) {
  const std::vector<uint8_t> ikm(22, 0x0b);
  EXPECT_EQ(Hkdf(ikm, {}, {}, 42),
            FromHex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                    "9d201395faa4b61a96c8"));
}

TEST(HkdfTest, InfoSeparatesOutputs) {
  const std::vector<uint8_t> ikm(32, 0x42);
  const auto a = HkdfSecret<32>(ikm, "fedcrm share key");
  const auto b = HkdfSecret<32>(ikm, "fedcrm mask seed");
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a == HkdfSecret<32>(ikm, "fedcrm share key"));
  const std::string_view info = "fedcrm share key";
  const std::vector<uint8_t> info_bytes(info.begin(), info.end());
  const auto plain = Hkdf(ikm, {}, info_bytes, 32);
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), a.bytes().begin()));
}

TEST(HkdfTest, RejectsInvalidArguments) {
  const std::vector<uint8_t> ikm(32, 1);
  EXPECT_THROW(Hkdf(ikm, {}, {}, 0), SecAggError);
  EXPECT_THROW(Hkdf(ikm, {}, {}, kHkdfMaxLength + 1), SecAggError);
  EXPECT_EQ(Hkdf(ikm, {}, {}, kHkdfMaxLength).size(), kHkdfMaxLength);
  EXPECT_THROW(Hkdf({}, {}, {}, 32), SecAggError);
}

}  // namespace
}  // namespace fedcrm::secagg
