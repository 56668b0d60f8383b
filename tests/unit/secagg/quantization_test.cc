#include "core/secagg/quantization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/common/error.h"
#include "core/secagg/secagg_error.h"

namespace fedcrm::secagg {
namespace {

class QuantizationTest : public ::testing::Test {
 protected:
  std::mt19937_64 generator_{20240611};
  RandomBits random_ = [this] { return generator_(); };
};

TEST_F(QuantizationTest, StepAndErrorBoundFollowTheConfig) {
  const QuantizationConfig config{.clip = 2.0, .levels_bits = 4, .modulus_bits = 32};
  EXPECT_EQ(MaxLevel(config), 15u);
  EXPECT_DOUBLE_EQ(QuantizationStep(config), 4.0 / 15);
  EXPECT_DOUBLE_EQ(QuantizationErrorBound(config, 7), 7 * 4.0 / 15);
}

TEST_F(QuantizationTest, ClipsToTheRangeAndHitsTheEndLevelsExactly) {
  const QuantizationConfig config{.clip = 1.5, .levels_bits = 8, .modulus_bits = 32};
  const std::vector<double> values = {-1e9,
                                      -1.5,
                                      1.5,
                                      7.0,
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
  const std::vector<uint64_t> levels = Quantize(values, config, random_);
  EXPECT_EQ(levels, (std::vector<uint64_t>{0, 0, 255, 255, 255, 0}));
  for (uint64_t level : levels) {
    const std::vector<double> back = Dequantize(std::vector<uint64_t>{level}, 1, config);
    EXPECT_DOUBLE_EQ(std::abs(back[0]), 1.5);
  }
}

TEST_F(QuantizationTest, EncodingStaysWithinOneStepOfTheClippedValue) {
  const QuantizationConfig config{.clip = 1.0, .levels_bits = 6, .modulus_bits = 32};
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  std::vector<double> values(2000);
  for (double& v : values) v = uniform(generator_);
  const std::vector<uint64_t> levels = Quantize(values, config, random_);
  const double step = QuantizationStep(config);
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_LE(levels[i], MaxLevel(config));
    const double decoded = static_cast<double>(levels[i]) * step - config.clip;
    EXPECT_LT(std::abs(decoded - std::clamp(values[i], -1.0, 1.0)), step) << values[i];
  }
}

TEST_F(QuantizationTest, StochasticRoundingIsUnbiased) {
  // k = 2 gives levels at -1, -1/3, 1/3, 1: every test value lies strictly
  // between two of them, where rounding to nearest would be biased by up to
  // a sixth of the range.
  const QuantizationConfig config{.clip = 1.0, .levels_bits = 2, .modulus_bits = 32};
  const int kSamples = 100000;
  for (double x : {0.3, -0.9, 0.05, 0.95, -0.4}) {
    const std::vector<double> values(kSamples, x);
    const std::vector<uint64_t> levels = Quantize(values, config, random_);
    uint64_t level_sum = 0;
    for (uint64_t level : levels) level_sum += level;
    const double mean =
        Dequantize(std::vector<uint64_t>{level_sum}, kSamples, config)[0] / kSamples;
    // Standard error <= step / 2 / sqrt(kSamples) ~ 0.001; allow 5 of them.
    EXPECT_NEAR(mean, x, 0.005) << "x = " << x;
  }
}

TEST_F(QuantizationTest, RoundingUsesTheGeneratorAndVariesBetweenCalls) {
  const QuantizationConfig config{.clip = 1.0, .levels_bits = 2, .modulus_bits = 32};
  const std::vector<double> values(64, 0.0);  // halfway between levels 1 and 2
  const std::vector<uint64_t> levels = Quantize(values, config, random_);
  int ups = 0;
  for (uint64_t level : levels) {
    ASSERT_TRUE(level == 1 || level == 2);
    ups += level == 2 ? 1 : 0;
  }
  EXPECT_GT(ups, 0);
  EXPECT_LT(ups, 64);
}

// Masked aggregation: clients add random masks that sum to zero mod 2^b.
// The accumulated sums wrap around many times, yet the final sum is the exact
// integer sum of the levels.
void CheckMaskedSumIsExact(int modulus_bits, std::mt19937_64& generator, const RandomBits& random) {
  const QuantizationConfig config{.clip = 1.0, .levels_bits = 12, .modulus_bits = modulus_bits};
  const uint64_t mask_bits = ModulusMask(modulus_bits);
  const int kClients = 5;
  const size_t kDim = 200;
  std::normal_distribution<double> normal(0.0, 0.7);
  std::vector<uint64_t> plain_sum(kDim, 0);
  std::vector<uint64_t> masked_sum(kDim, 0);
  std::vector<uint64_t> mask_total(kDim, 0);
  std::vector<double> clipped_sum(kDim, 0.0);
  bool wrapped = false;
  for (int client = 0; client < kClients; ++client) {
    std::vector<double> update(kDim);
    for (size_t i = 0; i < kDim; ++i) {
      update[i] = normal(generator);
      clipped_sum[i] += std::clamp(update[i], -1.0, 1.0);
    }
    std::vector<uint64_t> levels = Quantize(update, config, random);
    for (size_t i = 0; i < kDim; ++i) plain_sum[i] += levels[i];
    std::vector<uint64_t> mask(kDim);
    if (client + 1 < kClients) {
      for (uint64_t& m : mask) m = generator() & mask_bits;
      AddModular(mask_total, mask, modulus_bits);
    } else {  // the last mask cancels the others
      SubtractModular(mask, mask_total, modulus_bits);
    }
    AddModular(levels, mask, modulus_bits);
    const std::vector<uint64_t> before = masked_sum;
    AddModular(masked_sum, levels, modulus_bits);
    for (size_t i = 0; i < kDim; ++i) wrapped = wrapped || masked_sum[i] < before[i];
  }
  EXPECT_TRUE(wrapped) << "the test should exercise wraparound";
  EXPECT_EQ(masked_sum, plain_sum);
  const std::vector<double> recovered = Dequantize(masked_sum, kClients, config);
  const double bound = QuantizationErrorBound(config, kClients);
  for (size_t i = 0; i < kDim; ++i) {
    EXPECT_LE(std::abs(recovered[i] - clipped_sum[i]), bound);
  }
}

TEST_F(QuantizationTest, MaskedSumsAreExactModulo2To32) {
  CheckMaskedSumIsExact(32, generator_, random_);
}

TEST_F(QuantizationTest, MaskedSumsAreExactModulo2To64) {
  CheckMaskedSumIsExact(64, generator_, random_);
}

TEST_F(QuantizationTest, ModularArithmeticWrapsAtTheModulus) {
  std::vector<uint64_t> acc = {0xFFFFFFFFu, 5};
  AddModular(acc, std::vector<uint64_t>{2, 0xFFFFFFFFu}, 32);
  EXPECT_EQ(acc, (std::vector<uint64_t>{1, 4}));
  SubtractModular(acc, std::vector<uint64_t>{2, 4}, 32);
  EXPECT_EQ(acc, (std::vector<uint64_t>{0xFFFFFFFFu, 0}));

  std::vector<uint64_t> acc64 = {std::numeric_limits<uint64_t>::max()};
  AddModular(acc64, std::vector<uint64_t>{3}, 64);
  EXPECT_EQ(acc64[0], 2u);
  SubtractModular(acc64, std::vector<uint64_t>{3}, 64);
  EXPECT_EQ(acc64[0], std::numeric_limits<uint64_t>::max());

  EXPECT_THROW(AddModular(acc, std::vector<uint64_t>{1}, 32), SecAggError);
  EXPECT_THROW(AddModular(acc, std::vector<uint64_t>{1, 2}, 16), ConfigError);
}

TEST_F(QuantizationTest, ErrorBoundHoldsOnRandomData) {
  for (int levels_bits : {1, 3, 8, 16}) {
    const QuantizationConfig config{.clip = 0.5, .levels_bits = levels_bits, .modulus_bits = 64};
    const int kClients = 20;
    const size_t kDim = 300;
    std::uniform_real_distribution<double> uniform(-0.8, 0.8);
    std::vector<uint64_t> sum(kDim, 0);
    std::vector<double> clipped_sum(kDim, 0.0);
    for (int client = 0; client < kClients; ++client) {
      std::vector<double> update(kDim);
      for (size_t i = 0; i < kDim; ++i) {
        update[i] = uniform(generator_);
        clipped_sum[i] += std::clamp(update[i], -0.5, 0.5);
      }
      AddModular(sum, Quantize(update, config, random_), 64);
    }
    const std::vector<double> recovered = Dequantize(sum, kClients, config);
    const double bound = QuantizationErrorBound(config, kClients);
    double worst = 0;
    for (size_t i = 0; i < kDim; ++i) {
      worst = std::max(worst, std::abs(recovered[i] - clipped_sum[i]));
    }
    EXPECT_LE(worst, bound) << "k = " << levels_bits;
    EXPECT_GT(worst, 0.0) << "k = " << levels_bits;
  }
}

TEST_F(QuantizationTest, DequantizeIsPreciseForHugeClientCounts) {
  // n * c = 2^40 would swamp the result if computed as sum * step - n * c.
  const QuantizationConfig config{.clip = 1.0, .levels_bits = 20, .modulus_bits = 64};
  const int64_t n = int64_t{1} << 40;
  const uint64_t max_sum = static_cast<uint64_t>(n) * MaxLevel(config);
  const std::vector<double> out =
      Dequantize(std::vector<uint64_t>{max_sum / 2, max_sum / 2 + 1, 0, max_sum}, n, config);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_DOUBLE_EQ(out[1], QuantizationStep(config));
  EXPECT_DOUBLE_EQ(out[2], -static_cast<double>(n));
  EXPECT_DOUBLE_EQ(out[3], static_cast<double>(n));
}

TEST_F(QuantizationTest, DequantizeRejectsSumsNoHonestRoundProduces) {
  const QuantizationConfig config{.clip = 1.0, .levels_bits = 8, .modulus_bits = 32};
  EXPECT_NO_THROW(Dequantize(std::vector<uint64_t>{3 * 255}, 3, config));
  try {
    Dequantize(std::vector<uint64_t>{0, 3 * 255 + 1}, 3, config);
    FAIL() << "expected SecAggError";
  } catch (const SecAggError& e) {
    EXPECT_NE(std::string(e.what()).find("coordinate 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("766"), std::string::npos) << e.what();
  }
}

TEST_F(QuantizationTest, RefusesConfigurationsWhoseSumCouldWrap) {
  const QuantizationConfig config{.clip = 1.0, .levels_bits = 16, .modulus_bits = 32};
  // (2^16 + 1) * (2^16 - 1) = 2^32 - 1 still fits; one more client does not.
  EXPECT_NO_THROW(ValidateQuantization(config, 65537));
  try {
    ValidateQuantization(config, 65538);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("65538"), std::string::npos) << message;
    EXPECT_NE(message.find("2^16"), std::string::npos) << message;
    EXPECT_NE(message.find("2^32"), std::string::npos) << message;
    EXPECT_NE(message.find("levels_bits <= 15"), std::string::npos) << message;
  }
  EXPECT_THROW(Dequantize(std::vector<uint64_t>{0}, 65538, config), ConfigError);
  EXPECT_THROW(QuantizationErrorBound(config, 65538), ConfigError);

  // k = 1: n * 1 < 2^32 exactly up to n = 2^32 - 1.
  const QuantizationConfig one_bit{.clip = 1.0, .levels_bits = 1, .modulus_bits = 32};
  EXPECT_NO_THROW(ValidateQuantization(one_bit, (int64_t{1} << 32) - 1));
  EXPECT_THROW(ValidateQuantization(one_bit, int64_t{1} << 32), ConfigError);

  const QuantizationConfig wide{.clip = 1.0, .levels_bits = 52, .modulus_bits = 64};
  EXPECT_NO_THROW(ValidateQuantization(wide, 4096));
  EXPECT_THROW(ValidateQuantization(wide, 4097), ConfigError);
}

TEST_F(QuantizationTest, RefusesMalformedConfigurations) {
  const auto invalid = [](double clip, int k, int b) {
    return QuantizationConfig{.clip = clip, .levels_bits = k, .modulus_bits = b};
  };
  EXPECT_THROW(ValidateQuantization(invalid(0.0, 8, 32), 1), ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(-1.0, 8, 32), 1), ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(std::nan(""), 8, 32), 1), ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(std::numeric_limits<double>::infinity(), 8, 32), 1),
               ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(1.0, 0, 32), 1), ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(1.0, 32, 32), 1), ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(1.0, 53, 64), 1), ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(1.0, 8, 16), 1), ConfigError);
  EXPECT_THROW(ValidateQuantization(invalid(1.0, 8, 32), 0), ConfigError);
  EXPECT_THROW(Quantize(std::vector<double>{0.0}, invalid(1.0, 8, 48), random_), ConfigError);
  try {
    ValidateQuantization(invalid(1.0, 8, 48), 1);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.where().find("modulus_bits"), std::string::npos) << e.what();
    EXPECT_NE(e.problem().find("48"), std::string::npos) << e.what();
  }
}

TEST_F(QuantizationTest, RefusesNaNCoordinates) {
  const QuantizationConfig config;
  EXPECT_THROW(Quantize(std::vector<double>{0.1, std::nan(""), 0.2}, config, random_), SecAggError);
}

}  // namespace
}  // namespace fedcrm::secagg
