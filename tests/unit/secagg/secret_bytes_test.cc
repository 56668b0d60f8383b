#include "core/secagg/secret_bytes.h"

#include <gtest/gtest.h>

namespace fedcrm::secagg {
namespace {

TEST(SecretBytesTest, DefaultIsZeroAndComparesByValue) {
  Secret32 a;
  for (uint8_t b : a.bytes()) EXPECT_EQ(b, 0);
  Secret32 b = a;
  EXPECT_TRUE(a == b);
  b.mutable_bytes()[31] = 1;
  EXPECT_FALSE(a == b);
}

TEST(SecretBytesTest, RandomSecretsDiffer) {
  EXPECT_FALSE(Secret32::Random() == Secret32::Random());
  EXPECT_FALSE(Secret32::Random() == Secret32());
}

}  // namespace
}  // namespace fedcrm::secagg
