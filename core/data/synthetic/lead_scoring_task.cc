#include "core/data/synthetic/lead_scoring_task.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/data/synthetic/csv_writer.h"
#include "core/data/synthetic/schema_json.h"

namespace fedcrm::data::synthetic {
namespace {

constexpr std::array<std::string_view, 6> kIndustries = {"software",      "finance", "healthcare",
                                                         "manufacturing", "retail",  "education"};
constexpr std::array<std::string_view, 3> kSizes = {"smb", "mid", "enterprise"};
constexpr std::array<std::string_view, 5> kSources = {"web", "referral", "event", "partner",
                                                      "outbound"};

enum Size { kSmb, kMid, kEnterprise };

// Effects shared by every region, on the log-odds of converting.
constexpr std::array<double, 6> kIndustryEffect = {0.40, 0.15, -0.15, 0.0, -0.25, -0.40};
constexpr std::array<double, 5> kSourceEffect = {0.0, 0.80, 0.25, 0.40, -0.50};
constexpr double kWebinarEffect = 0.40;     // per log1p(webinars)
constexpr double kEmailEffect = 0.50;       // per log1p(emails opened)
constexpr double kEmailCenter = 2.2;        // ~ log1p of the typical count
constexpr double kPipelineCenterDays = 60;  // pipeline effect is log(days / this)
// How much of a region's key engagement effect reaches the company sizes it
// is not about (EU whitepapers for non-enterprise, US demos for enterprise).
constexpr double kOffSegmentShare = 0.45;

struct RegionParams {
  std::array<double, 6> industry_weights;
  std::array<double, 3> size_weights;
  std::array<double, 5> source_weights;
  // Mean counts of each engagement over the lead's life so far.
  double whitepaper_rate, demo_rate, webinar_rate, meeting_rate;
  double pipeline_median_days;
  // The regional sales motion: log-odds per log1p(count), and per log(days).
  double intercept, whitepaper_effect, demo_effect, meeting_effect, pipeline_effect;
};

// eu, us, apac.
constexpr std::array<RegionParams, 3> kParams = {{
    {{0.20, 0.25, 0.15, 0.20, 0.10, 0.10},
     {0.25, 0.30, 0.45},
     {0.30, 0.15, 0.25, 0.20, 0.10},
     1.6,
     0.25,
     1.0,
     0.35,
     55,
     -4.0,
     2.6,
     0.15,
     0.15,
     -0.20},
    {{0.30, 0.20, 0.15, 0.10, 0.15, 0.10},
     {0.45, 0.35, 0.20},
     {0.40, 0.15, 0.10, 0.10, 0.25},
     0.3,
     1.4,
     0.9,
     0.3,
     35,
     -3.7,
     0.15,
     2.8,
     0.10,
     -0.45},
    {{0.20, 0.15, 0.10, 0.30, 0.15, 0.10},
     {0.35, 0.35, 0.30},
     {0.20, 0.25, 0.20, 0.25, 0.10},
     0.35,
     0.3,
     1.2,
     2.4,
     80,
     -5.5,
     0.15,
     0.20,
     2.3,
     0.0},
}};

std::string Count(std::int64_t n) { return std::to_string(n); }

}  // namespace

LeadScoringTask::LeadScoringTask()
    : regions_({{"eu", 20000, 0.010}, {"us", 30000, 0.015}, {"apac", 15000, 0.025}}) {}

nlohmann::json LeadScoringTask::Schema() const {
  return {
      {"label", BinaryLabel("converted", "yes", "no")},
      {"features",
       {
           CategoricalFeature("region", region_names()),
           CategoricalFeature("industry", Names(kIndustries)),
           CategoricalFeature("company_size", Names(kSizes)),
           CategoricalFeature("lead_source", Names(kSources)),
           NumericFeature("whitepapers_downloaded", "zero", "log1p"),
           NumericFeature("demos_attended", "zero", "log1p"),
           NumericFeature("webinars_attended", "zero", "log1p"),
           NumericFeature("meetings_held", "zero", "log1p"),
           NumericFeature("emails_opened", "mean", "log1p"),
           NumericFeature("days_in_pipeline", "mean", "log1p"),
           NumericFeature("page_views_30d", "mean", "log1p"),
           BooleanFeature("newsletter_opt_in", "false"),
       }},
  };
}

void LeadScoringTask::DrawRecord(std::size_t region, Sampler& sampler,
                                 std::vector<std::string>* fields) const {
  const RegionParams& p = kParams[region];
  const std::size_t industry = sampler.CategoricalOf(p.industry_weights);
  const auto size = static_cast<Size>(sampler.CategoricalOf(p.size_weights));
  const std::size_t source = sampler.CategoricalOf(p.source_weights);
  const bool enterprise = size == kEnterprise;

  // Enterprises read more and meet more; smaller companies go to demos.
  const std::int64_t whitepapers =
      sampler.NegativeBinomial(p.whitepaper_rate * (enterprise     ? 1.4
                                                    : size == kMid ? 1.0
                                                                   : 0.7),
                               2.0);
  const std::int64_t demos = sampler.NegativeBinomial(p.demo_rate * (enterprise ? 0.7 : 1.0), 2.0);
  const std::int64_t webinars = sampler.NegativeBinomial(p.webinar_rate, 1.5);
  const std::int64_t meetings =
      sampler.NegativeBinomial(p.meeting_rate * (enterprise ? 1.3 : 1.0), 2.0);
  const std::int64_t emails = sampler.NegativeBinomial(9.0, 1.5);
  // Every meeting stretches the pipeline: relationships take months.
  const double days_raw =
      sampler.LogNormal(p.pipeline_median_days * (1.0 + 0.08 * static_cast<double>(meetings)), 0.5);
  const std::int64_t days = std::max<std::int64_t>(1, std::llround(days_raw));
  // Noise: neither depends on the outcome.
  const std::int64_t page_views = sampler.NegativeBinomial(25.0, 1.2);
  const bool newsletter = sampler.Bernoulli(0.4);

  auto log1p = [](std::int64_t n) { return std::log1p(static_cast<double>(n)); };
  double logit = p.intercept + kIndustryEffect[industry] + kSourceEffect[source] +
                 kWebinarEffect * log1p(webinars) + kEmailEffect * (log1p(emails) - kEmailCenter);
  logit += p.whitepaper_effect * log1p(whitepapers) * (enterprise ? 1.0 : kOffSegmentShare);
  logit += p.demo_effect * log1p(demos) * (enterprise ? kOffSegmentShare : 1.0);
  logit += p.meeting_effect * log1p(meetings);
  logit += p.pipeline_effect * std::log(static_cast<double>(days) / kPipelineCenterDays);
  const bool converted = sampler.BernoulliLogit(logit);

  fields->insert(fields->end(),
                 {regions_[region].name, std::string(kIndustries[industry]),
                  std::string(kSizes[size]), std::string(kSources[source]), Count(whitepapers),
                  Count(demos), Count(webinars), Count(meetings), Count(emails), Count(days),
                  Count(page_views), newsletter ? "true" : "false", converted ? "yes" : "no"});
}

}  // namespace fedcrm::data::synthetic
