#include "core/data/synthetic/service_task.h"

#include <array>
#include <cassert>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/data/synthetic/csv_writer.h"
#include "core/data/synthetic/schema_json.h"

namespace fedcrm::data::synthetic {
namespace {

constexpr std::array<std::string_view, 5> kProducts = {"crm_core", "analytics", "integrations_hub",
                                                       "billing_portal", "mobile_app"};
constexpr std::array<std::string_view, 4> kSeverities = {"low", "medium", "high", "critical"};
constexpr std::array<std::string_view, 4> kChannels = {"email", "chat", "phone", "portal"};
constexpr std::array<std::string_view, 6> kLanguages = {"en", "de", "fr", "es", "ja", "zh"};
constexpr std::array<std::string_view, 3> kTiers = {"standard", "premium", "enterprise"};
constexpr std::array<std::string_view, 4> kClasses = {"self_service_article", "remote_session",
                                                      "escalate_engineering", "refund_credit"};

enum Product { kCrmCore, kAnalytics, kIntegrationsHub, kBillingPortal, kMobileApp };
enum Severity { kLow, kMedium, kHigh, kCritical };
enum Channel { kEmail, kChat, kPhone, kPortal };
enum Tier { kStandard, kPremium, kEnterprise };
enum Resolution { kSelfService, kRemoteSession, kEscalate, kRefund };
enum RegionIndex { kEu, kUs, kApac };  // the order of ServiceTask::regions()
constexpr std::size_t kEnglish = 0;    // index in kLanguages
constexpr std::size_t kNumClasses = 4;

constexpr int kTextBuckets = 64;

struct RegionParams {
  std::array<double, 5> product_weights;
  std::array<double, 4> severity_weights;
  std::array<double, 4> channel_weights;
  std::array<double, 6> language_weights;
  std::array<double, 3> tier_weights;
  std::array<double, kNumClasses> class_intercepts;
};

// eu, us, apac.
constexpr std::array<RegionParams, 3> kParams = {{
    {{0.25, 0.20, 0.15, 0.25, 0.15},
     {0.35, 0.35, 0.20, 0.10},
     {0.45, 0.20, 0.15, 0.20},
     {0.50, 0.30, 0.20, 0.0, 0.0, 0.0},
     {0.50, 0.30, 0.20},
     {0.3, 0.0, -0.4, -0.6}},
    {{0.30, 0.20, 0.20, 0.15, 0.15},
     {0.30, 0.35, 0.23, 0.12},
     {0.30, 0.35, 0.20, 0.15},
     {0.85, 0.0, 0.0, 0.15, 0.0, 0.0},
     {0.45, 0.30, 0.25},
     {0.4, -0.2, -0.3, -0.6}},
    {{0.25, 0.15, 0.15, 0.15, 0.30},
     {0.35, 0.35, 0.20, 0.10},
     {0.20, 0.35, 0.35, 0.10},
     {0.45, 0.0, 0.0, 0.0, 0.35, 0.20},
     {0.50, 0.35, 0.15},
     {0.2, -0.2, -0.4, -0.6}},
}};

// Class log-odds from the ticket's fields, shared by every region.
constexpr std::array<std::array<double, kNumClasses>, 5> kProductEffect = {{
    {0.0, 0.3, 0.0, 0.0},    // crm_core
    {0.2, 0.0, 0.4, 0.0},    // analytics
    {0.0, 0.0, 0.9, 0.0},    // integrations_hub
    {0.0, -0.3, -0.5, 2.0},  // billing_portal
    {0.0, 0.8, 0.0, 0.0},    // mobile_app
}};
constexpr std::array<std::array<double, kNumClasses>, 4> kSeverityEffect = {{
    {1.2, 0.0, -1.5, 0.0},  // low
    {0.5, 0.3, -0.3, 0.0},  // medium
    {-0.6, 0.3, 0.8, 0.0},  // high
    {-1.5, 0.0, 1.8, 0.5},  // critical
}};
constexpr std::array<std::array<double, kNumClasses>, 4> kChannelEffect = {{
    {0.0, 0.0, 0.0, 0.0},  // email
    {0.0, 0.4, 0.0, 0.0},  // chat
    {0.0, 0.6, 0.0, 0.0},  // phone
    {0.6, 0.0, 0.0, 0.0},  // portal
}};
constexpr std::array<std::array<double, kNumClasses>, 3> kTierEffect = {{
    {0.4, 0.0, 0.0, 0.0},  // standard
    {0.0, 0.4, 0.0, 0.0},  // premium
    {0.0, 0.0, 0.5, 0.0},  // enterprise
}};
// Help articles exist in English only.
constexpr double kNonEnglishSelfService = -0.5;
// The regional policies, added on top.
constexpr double kRegionalPolicy = 2.2;
constexpr double kUsStandardSelfService = 1.2;
constexpr double kApacMobileRemote = 1.0;

// Words that hint at a resolution; a ticket's text draws from its class's
// list with probability kHintRate per word.
constexpr std::array<std::array<std::string_view, 6>, kNumClasses> kHintWords = {{
    {"how", "guide", "docs", "where", "setting", "question"},
    {"screen", "install", "setup", "configure", "laptop", "walkthrough"},
    {"crash", "bug", "exception", "outage", "timeout", "regression"},
    {"refund", "charged", "invoice", "credit", "overcharged", "cancel"},
}};
constexpr std::array<std::array<std::string_view, 3>, 5> kProductWords = {{
    {"contacts", "pipeline", "deals"},
    {"dashboard", "report", "chart"},
    {"api", "webhook", "sync"},
    {"payment", "subscription", "plan"},
    {"app", "ios", "android"},
}};
constexpr std::array<std::string_view, 16> kFillerWords = {
    "please", "help",  "we", "our",    "the",   "since", "today",   "team",
    "urgent", "issue", "hi", "thanks", "still", "not",   "working", "again"};
constexpr double kHintRate = 0.08;
// Users also use other classes' words ("how do I get a refund" may be
// self-service): a hint word from a random class, per word.
constexpr double kStrayHintRate = 0.04;
constexpr double kProductWordRate = 0.25;

double RegionalPolicy(std::size_t region, Resolution resolution, Product product, Severity severity,
                      Channel channel, Tier tier) {
  switch (region) {
    case kEu:  // Consumer law and SLA credits favour refunds.
      if (resolution == kRefund && (product == kBillingPortal || severity == kCritical)) {
        return kRegionalPolicy;
      }
      break;
    case kUs:  // Enterprise accounts go to engineers, others to articles.
      if (resolution == kEscalate && tier == kEnterprise) return kRegionalPolicy;
      if (resolution == kSelfService && tier == kStandard) return kUsStandardSelfService;
      break;
    case kApac:  // Remote sessions for phone and chat, and for mobile.
      if (resolution == kRemoteSession && (channel == kPhone || channel == kChat)) {
        return kRegionalPolicy;
      }
      if (resolution == kRemoteSession && product == kMobileApp) return kApacMobileRemote;
      break;
    default:
      assert(false && "region index out of range");
  }
  return 0.0;
}

std::string TicketText(Sampler& sampler, Resolution resolution, Product product) {
  const std::int64_t words = 4 + sampler.Poisson(4.0);
  std::string text;
  for (std::int64_t i = 0; i < words; ++i) {
    const double u = sampler.Uniform();
    std::string_view word;
    if (u < kHintRate) {
      word = kHintWords[resolution][sampler.Categorical({1, 1, 1, 1, 1, 1})];
    } else if (u < kHintRate + kStrayHintRate) {
      word = kHintWords[sampler.Categorical({1, 1, 1, 1})][sampler.Categorical({1, 1, 1, 1, 1, 1})];
    } else if (u < kHintRate + kStrayHintRate + kProductWordRate) {
      word = kProductWords[product][sampler.Categorical({1, 1, 1})];
    } else {
      word = kFillerWords[static_cast<std::size_t>(sampler.Uniform() * kFillerWords.size())];
    }
    if (!text.empty()) text += sampler.Bernoulli(0.12) ? ", " : " ";
    text += word;
  }
  // Now and then an error code in quotes, as users paste them.
  if (sampler.Bernoulli(0.08)) {
    text += " \"E" + std::to_string(1000 + sampler.Poisson(30.0) * 7) + "\"";
  }
  return text;
}

}  // namespace

ServiceTask::ServiceTask()
    : regions_({{"eu", 12000, 0.0}, {"us", 18000, 0.0}, {"apac", 9000, 0.0}}) {}

nlohmann::json ServiceTask::Schema() const {
  return {
      {"label", MulticlassLabel("resolution", Names(kClasses))},
      {"features",
       {
           CategoricalFeature("region", region_names()),
           CategoricalFeature("product", Names(kProducts)),
           CategoricalFeature("severity", Names(kSeverities)),
           CategoricalFeature("channel", Names(kChannels)),
           CategoricalFeature("language", Names(kLanguages)),
           CategoricalFeature("customer_tier", Names(kTiers)),
           TextFeature("ticket_text", kTextBuckets),
       }},
  };
}

void ServiceTask::DrawRecord(std::size_t region, Sampler& sampler,
                             std::vector<std::string>* fields) const {
  const RegionParams& p = kParams[region];
  const auto product = static_cast<Product>(sampler.CategoricalOf(p.product_weights));
  const auto severity = static_cast<Severity>(sampler.CategoricalOf(p.severity_weights));
  const auto channel = static_cast<Channel>(sampler.CategoricalOf(p.channel_weights));
  const std::size_t language = sampler.CategoricalOf(p.language_weights);
  const auto tier = static_cast<Tier>(sampler.CategoricalOf(p.tier_weights));

  std::array<double, kNumClasses> logits{};
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    logits[c] =
        p.class_intercepts[c] + kProductEffect[product][c] + kSeverityEffect[severity][c] +
        kChannelEffect[channel][c] + kTierEffect[tier][c] +
        RegionalPolicy(region, static_cast<Resolution>(c), product, severity, channel, tier);
  }
  if (language != kEnglish) logits[kSelfService] += kNonEnglishSelfService;
  const auto resolution = static_cast<Resolution>(sampler.Softmax(logits));

  fields->insert(fields->end(),
                 {regions_[region].name, std::string(kProducts[product]),
                  std::string(kSeverities[severity]), std::string(kChannels[channel]),
                  std::string(kLanguages[language]), std::string(kTiers[tier]),
                  TicketText(sampler, resolution, product), std::string(kClasses[resolution])});
}

}  // namespace fedcrm::data::synthetic
