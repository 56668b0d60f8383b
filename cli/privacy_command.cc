// fedcrm privacy: differential-privacy accounting from the command line.
//
//   fedcrm privacy epsilon --sampling-rate Q --noise-multiplier S --steps T --delta D
//                          [--rounds R] [--json]
//   fedcrm privacy sigma --epsilon E --sampling-rate Q --steps T --delta D [--json]
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/common/error.h"
#include "core/privacy/noise_calibration.h"
#include "core/privacy/rdp_accountant.h"
#include "core/privacy/rdp_conversion.h"

namespace fedcrm::cli {
namespace {

constexpr const char* kUsage = R"(Usage: fedcrm privacy <command> [flags]

Differential-privacy accounting for DP-SGD (Poisson sampling at rate q,
Gaussian noise multiplier sigma), in Renyi DP converted to (epsilon, delta).

Commands:
  epsilon   the epsilon spent by T steps (optionally repeated over R rounds)
  sigma     the smallest noise multiplier that keeps T steps within epsilon

Run 'fedcrm privacy <command> --help' for its flags.
)";

constexpr const char* kEpsilonUsage =
    R"(Usage: fedcrm privacy epsilon --sampling-rate Q --noise-multiplier S
                              --steps T --delta D [--rounds R] [--json]

Prints the (epsilon, delta)-DP guarantee of T steps of DP-SGD, and the Renyi
order that gives it. With --rounds, the guarantee of R rounds of T steps each.

Flags:
  --sampling-rate Q      Poisson sampling rate per step, in [0, 1]
  --noise-multiplier S   noise stddev over the clipping norm, >= 0
  --steps T              steps per round, >= 0
  --delta D              target delta, in (0, 1)
  --rounds R             rounds the silo takes part in, >= 1 (default 1)
  --json                 print a JSON object instead of a sentence
)";

constexpr const char* kSigmaUsage =
    R"(Usage: fedcrm privacy sigma --epsilon E --sampling-rate Q --steps T
                            --delta D [--json]

Prints the smallest noise multiplier (rounded up to 4 decimals) for which T
steps of DP-SGD at sampling rate Q are (E, D)-DP, and the epsilon it gives.

Flags:
  --epsilon E            target epsilon, > 0
  --sampling-rate Q      Poisson sampling rate per step, in [0, 1]
  --steps T              number of steps, >= 0
  --delta D              target delta, in (0, 1)
  --json                 print a JSON object instead of a sentence
)";

std::string Format(const char* format, double x) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, x);
  return buffer;
}

void Require(bool ok, const std::string& flag, const Flags& flags, const std::string& expected) {
  if (!ok) {
    throw ConfigError("flag --" + flag, "got '" + flags.String(flag) + "'; expected " + expected);
  }
}

// Parses `args`; false when --help was asked for (and printed).
bool ParseOrHelp(Flags& flags, const Args& args, const char* usage) {
  flags.Parse(args);
  if (flags.Bool("help")) {
    std::cout << usage;
    return false;
  }
  if (!flags.positional().empty()) {
    throw ConfigError("fedcrm privacy", "unexpected argument '" + flags.positional()[0] +
                                            "'; expected only flags (see --help)");
  }
  return true;
}

double SamplingRate(const Flags& flags) {
  const double q = flags.Double("sampling-rate");
  Require(q >= 0.0 && q <= 1.0, "sampling-rate", flags, "a number in [0, 1]");
  return q;
}

double Delta(const Flags& flags) {
  const double delta = flags.Double("delta");
  Require(delta > 0.0 && delta < 1.0, "delta", flags, "a number in (0, 1)");
  return delta;
}

int64_t Steps(const Flags& flags) {
  const int64_t steps = flags.Int("steps");
  Require(steps >= 0, "steps", flags, "an integer >= 0");
  return steps;
}

// "1.2345", or "inf"; NaN orders (no finite bound) print as "none".
std::string Number(double x, const char* format) {
  if (std::isnan(x)) return "none";
  if (std::isinf(x)) return "inf";
  return Format(format, x);
}

nlohmann::json JsonNumber(double x) { return std::isfinite(x) ? nlohmann::json(x) : nullptr; }

int RunEpsilon(const Args& args) {
  Flags flags({"sampling-rate", "noise-multiplier", "steps", "delta", "rounds"}, {"json", "help"});
  if (!ParseOrHelp(flags, args, kEpsilonUsage)) return 0;
  const double q = SamplingRate(flags);
  const double sigma = flags.Double("noise-multiplier");
  Require(sigma >= 0.0, "noise-multiplier", flags, "a number >= 0");
  const int64_t steps = Steps(flags);
  const double delta = Delta(flags);
  const int64_t rounds = flags.Int("rounds", 1);
  if (flags.Has("rounds")) Require(rounds >= 1, "rounds", flags, "an integer >= 1");
  Require(steps == 0 || rounds <= std::numeric_limits<int64_t>::max() / steps, "rounds", flags,
          "fewer than 2^63 steps in all");

  const privacy::RdpCurve curve = privacy::SampledGaussianRdp(q, sigma, steps).Repeated(rounds);
  const privacy::EpsilonAtOrder result = privacy::EpsilonFromRdp(curve, delta);
  if (flags.Bool("json")) {
    const nlohmann::json out = {
        {"epsilon", JsonNumber(result.epsilon)},
        {"delta", delta},
        {"optimalOrder", JsonNumber(result.order)},
        {"samplingRate", q},
        {"noiseMultiplier", sigma},
        {"steps", steps},
        {"rounds", rounds},
    };
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "ε = " << Number(result.epsilon, "%.4f") << " at δ = " << Format("%g", delta);
  if (flags.Has("rounds")) {
    std::cout << " over " << rounds << (rounds == 1 ? " round" : " rounds") << " of " << steps
              << " steps";
  }
  if (std::isnan(result.order)) {
    std::cout << " (no RDP order gives a finite bound)\n";
  } else {
    std::cout << " (optimal RDP order " << Number(result.order, "%g") << ")\n";
  }
  return 0;
}

int RunSigma(const Args& args) {
  Flags flags({"epsilon", "sampling-rate", "steps", "delta"}, {"json", "help"});
  if (!ParseOrHelp(flags, args, kSigmaUsage)) return 0;
  const double target = flags.Double("epsilon");
  Require(target > 0.0, "epsilon", flags, "a number > 0");
  const double q = SamplingRate(flags);
  const int64_t steps = Steps(flags);
  const double delta = Delta(flags);

  // Rounded up, so the printed sigma still meets the target.
  const double sigma =
      std::ceil(privacy::CalibrateNoiseMultiplier(target, q, steps, delta) * 1e4) / 1e4;
  const privacy::EpsilonAtOrder result =
      privacy::EpsilonFromRdp(privacy::SampledGaussianRdp(q, sigma, steps), delta);
  if (flags.Bool("json")) {
    const nlohmann::json out = {
        {"noiseMultiplier", sigma},
        {"epsilon", JsonNumber(result.epsilon)},
        {"targetEpsilon", target},
        {"delta", delta},
        {"optimalOrder", JsonNumber(result.order)},
        {"samplingRate", q},
        {"steps", steps},
    };
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (sigma == 0.0) {
    std::cout << "σ = 0 (q = 0 or no steps: nothing is revealed, no noise is needed)\n";
    return 0;
  }
  std::cout << "σ = " << Format("%.4f", sigma) << " (ε = " << Number(result.epsilon, "%.4f")
            << " at δ = " << Format("%g", delta) << ", optimal RDP order "
            << Number(result.order, "%g") << ")\n";
  return 0;
}

}  // namespace

int RunPrivacy(const Args& args) {
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string& command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (command == "epsilon") return RunEpsilon(rest);
  if (command == "sigma") return RunSigma(rest);
  std::cerr << "fedcrm privacy: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}

}  // namespace fedcrm::cli
