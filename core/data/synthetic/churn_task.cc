#include "core/data/synthetic/churn_task.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/data/synthetic/csv_writer.h"
#include "core/data/synthetic/schema_json.h"

namespace fedcrm::data::synthetic {
namespace {

constexpr std::array<std::string_view, 3> kPlans = {"basic", "pro", "enterprise"};

enum Plan { kBasic, kPro, kEnterprise };

// Effects shared by every region, on the log-odds of churning.
constexpr std::array<double, 3> kPlanEffect = {0.30, 0.0, -0.40};
constexpr std::array<double, 3> kSeatMedian = {4, 20, 120};
constexpr std::array<double, 3> kSsoRate = {0.05, 0.35, 0.85};
constexpr double kTenureEffect = -0.35;  // per log1p(months), centred at kTenureCenter
constexpr double kTenureCenter = 3.0;
constexpr double kSeatEffect = -0.15;  // per log1p(seats), centred at kSeatCenter
constexpr double kSeatCenter = 2.5;
constexpr double kSsoEffect = -0.30;
constexpr double kNpsEffect = -0.13;  // per point above kNpsCenter
constexpr double kNpsCenter = 7.0;
constexpr double kLoginsEffect = -0.40;  // per log(logins per user per week)
constexpr double kLoginsCenter = 1.7;
constexpr double kTechnicalEffect = 0.10;  // per log1p(tickets)
constexpr double kHowToEffect = -0.10;     // engaged users ask how-to questions
// The combined signature: a slight decline AND several friction tickets.
constexpr double kCombinedEffect = 0.8;
constexpr double kCombinedDecline = -0.08;
constexpr std::int64_t kCombinedTickets = 2;

struct RegionParams {
  std::array<double, 3> plan_weights;
  double tenure_median_months;
  // login_trend ~ Normal(mean, sd): relative change of weekly logins over the
  // last quarter (-0.1 is a 10% decline).
  double trend_mean, trend_sd;
  // Mean ticket counts over 90 days and late payments over a year.
  double billing_rate, integration_rate, late_payment_rate;
  // Log-odds of churning: intercept, per unit of login_trend, per
  // log1p(count) of integration tickets, billing tickets, late payments.
  double intercept, trend_effect, integration_effect, billing_effect, late_effect;
};

// eu, us, apac.
constexpr std::array<RegionParams, 3> kParams = {{
    {{0.35, 0.45, 0.20}, 24, -0.03, 0.16, 0.25, 0.15, 0.10, -1.3, -11.0, 0.1, 0.1, 0.1},
    {{0.45, 0.40, 0.15}, 16, -0.01, 0.04, 0.30, 1.40, 0.15, -3.8, -0.5, 2.6, 0.1, 0.1},
    {{0.40, 0.40, 0.20}, 20, -0.02, 0.05, 1.30, 0.20, 0.70, -3.0, -1.0, 0.1, 2.0, 1.3},
}};

std::string Count(std::int64_t n) { return std::to_string(n); }

}  // namespace

ChurnTask::ChurnTask()
    : regions_({{"eu", 20000, 0.015}, {"us", 30000, 0.010}, {"apac", 15000, 0.020}}) {}

nlohmann::json ChurnTask::Schema() const {
  return {
      {"label", BinaryLabel("churned", "yes", "no")},
      {"features",
       {
           CategoricalFeature("region", region_names()),
           NumericFeature("tenure_months", "error", "log1p"),
           CategoricalFeature("plan", Names(kPlans)),
           NumericFeature("seats", "mean", "log1p"),
           BooleanFeature("has_sso", "error"),
           NumericFeature("logins_per_week", "mean", "log1p"),
           NumericFeature("login_trend", "mean", "none"),
           NumericFeature("tickets_billing", "zero", "log1p"),
           NumericFeature("tickets_technical", "zero", "log1p"),
           NumericFeature("tickets_integration", "zero", "log1p"),
           NumericFeature("tickets_how_to", "zero", "log1p"),
           NumericFeature("nps", "mean", "none"),
           NumericFeature("late_payments", "zero", "log1p"),
       }},
  };
}

void ChurnTask::DrawRecord(std::size_t region, Sampler& sampler,
                           std::vector<std::string>* fields) const {
  const RegionParams& p = kParams[region];
  const auto plan = static_cast<Plan>(sampler.CategoricalOf(p.plan_weights));
  const std::int64_t tenure = std::clamp<std::int64_t>(
      std::llround(sampler.LogNormal(p.tenure_median_months, 0.8)), 1, 120);
  const std::int64_t seats =
      std::max<std::int64_t>(1, std::llround(sampler.LogNormal(kSeatMedian[plan], 0.7)));
  const bool sso = sampler.Bernoulli(kSsoRate[plan]);
  const double logins = std::round(sampler.LogNormal(5.5, 0.45) * 10) / 10;
  const double trend =
      std::round(std::clamp(sampler.Normal(p.trend_mean, p.trend_sd), -0.95, 1.5) * 1000) / 1000;
  const std::int64_t billing = sampler.NegativeBinomial(p.billing_rate, 1.5);
  const std::int64_t technical = sampler.NegativeBinomial(1.1, 1.5);
  const std::int64_t integration = sampler.NegativeBinomial(p.integration_rate, 1.2);
  const std::int64_t how_to = sampler.NegativeBinomial(1.3, 1.5);
  const std::int64_t nps = std::clamp<std::int64_t>(std::llround(sampler.Normal(7.2, 2.0)), 0, 10);
  const std::int64_t late = sampler.NegativeBinomial(p.late_payment_rate, 1.0);

  auto log1p = [](std::int64_t n) { return std::log1p(static_cast<double>(n)); };
  double logit = p.intercept + kPlanEffect[plan] + kTenureEffect * (log1p(tenure) - kTenureCenter) +
                 kSeatEffect * (log1p(seats) - kSeatCenter) + (sso ? kSsoEffect : 0.0) +
                 kNpsEffect * (static_cast<double>(nps) - kNpsCenter) +
                 kLoginsEffect * (std::log(std::max(logins, 0.1)) - kLoginsCenter) +
                 kTechnicalEffect * log1p(technical) + kHowToEffect * log1p(how_to);
  logit += p.trend_effect * trend + p.integration_effect * log1p(integration) +
           p.billing_effect * log1p(billing) + p.late_effect * log1p(late);
  if (trend <= kCombinedDecline && integration + billing >= kCombinedTickets) {
    logit += kCombinedEffect;
  }
  const bool churned = sampler.BernoulliLogit(logit);

  fields->insert(fields->end(),
                 {regions_[region].name, Count(tenure), std::string(kPlans[plan]), Count(seats),
                  sso ? "true" : "false", FormatFixed(logins, 1), FormatFixed(trend, 3),
                  Count(billing), Count(technical), Count(integration), Count(how_to), Count(nps),
                  Count(late), churned ? "yes" : "no"});
}

}  // namespace fedcrm::data::synthetic
