#include "core/model/model_factory.h"

#include <cmath>
#include <vector>

#include "core/common/error.h"
#include "core/model/logistic_regression.h"
#include "core/model/mlp.h"
#include "core/model/softmax_regression.h"

namespace fedcrm::model {
namespace {

constexpr int kMaxHiddenLayers = 64;

std::vector<int64_t> Widths(const ModelSpec& spec) {
  std::vector<int64_t> widths{spec.input_dim};
  if (spec.type == "mlp")
    widths.insert(widths.end(), spec.hidden_layers.begin(), spec.hidden_layers.end());
  widths.push_back(spec.type == "logistic" ? 1 : spec.num_classes);
  return widths;
}

// Parameter count of the layer chain, or -1 past kMaxParameters. Each term is
// at most 2^31 * 2^31, so nothing overflows before the comparison.
int64_t BoundedCount(const std::vector<int64_t>& widths) {
  int64_t total = 0;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    total += widths[l] * widths[l + 1] + widths[l + 1];
    if (total > kMaxParameters) return -1;
  }
  return total;
}

}  // namespace

void ValidateModelSpec(const ModelSpec& spec, const std::string& where) {
  const bool linear = spec.type == "logistic" || spec.type == "softmax";
  if (!linear && spec.type != "mlp") {
    throw ConfigError(where + ".type",
                      "unknown model type '" + spec.type + "': expected logistic, softmax or mlp");
  }
  if (spec.input_dim <= 0) {
    throw ConfigError(where + ".inputDim",
                      "must be a positive feature count, got " + std::to_string(spec.input_dim));
  }
  if (spec.type == "logistic" && spec.num_classes != 2) {
    throw ConfigError(where + ".numClasses",
                      "a logistic model is binary and needs 2 classes, got " +
                          std::to_string(spec.num_classes) + " (use softmax or mlp)");
  }
  if (spec.num_classes < 2) {
    throw ConfigError(where + ".numClasses",
                      "must be at least 2, got " + std::to_string(spec.num_classes));
  }
  if (linear && !spec.hidden_layers.empty()) {
    throw ConfigError(where + ".hiddenLayers", "only an mlp has hidden layers; a " + spec.type +
                                                   " model must leave it empty");
  }
  if (spec.type == "mlp") {
    if (spec.hidden_layers.empty() ||
        spec.hidden_layers.size() > static_cast<size_t>(kMaxHiddenLayers)) {
      throw ConfigError(where + ".hiddenLayers",
                        "an mlp needs between 1 and " + std::to_string(kMaxHiddenLayers) +
                            " hidden layers, got " + std::to_string(spec.hidden_layers.size()));
    }
    for (size_t i = 0; i < spec.hidden_layers.size(); ++i) {
      if (spec.hidden_layers[i] <= 0) {
        throw ConfigError(where + ".hiddenLayers[" + std::to_string(i) + "]",
                          "must be a positive width, got " + std::to_string(spec.hidden_layers[i]));
      }
    }
  }
  if (!std::isfinite(spec.l2) || spec.l2 < 0) {
    throw ConfigError(where + ".l2",
                      "must be a finite number >= 0, got " + std::to_string(spec.l2));
  }
  if (BoundedCount(Widths(spec)) < 0) {
    throw ConfigError(
        where, "the model would have more than " + std::to_string(kMaxParameters) + " parameters");
  }
}

int64_t CountParameters(const ModelSpec& spec) { return BoundedCount(Widths(spec)); }

std::unique_ptr<Model> MakeModel(const ModelSpec& spec, uint64_t seed) {
  ValidateModelSpec(spec);
  if (spec.type == "logistic") return std::make_unique<LogisticRegression>(spec);
  if (spec.type == "softmax") return std::make_unique<SoftmaxRegression>(spec);
  return std::make_unique<Mlp>(spec, seed);
}

}  // namespace fedcrm::model
