#include "core/model/model_factory.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/common/error.h"

namespace fedcrm::model {
namespace {

ModelSpec Valid(const std::string& type) {
  ModelSpec spec;
  spec.type = type;
  spec.input_dim = 4;
  spec.num_classes = type == "logistic" ? 2 : 3;
  if (type == "mlp") spec.hidden_layers = {8, 4};
  return spec;
}

// Builds `spec` and returns the ConfigError's where(), or "" when none.
std::string RejectedField(const ModelSpec& spec) {
  try {
    MakeModel(spec, 1);
  } catch (const ConfigError& e) {
    return e.where();
  }
  return "";
}

TEST(ModelFactoryTest, BuildsEachType) {
  for (const std::string type : {"logistic", "softmax", "mlp"}) {
    const std::unique_ptr<Model> model = MakeModel(Valid(type), 7);
    EXPECT_EQ(model->spec().type, type);
    EXPECT_EQ(model->NumParameters(), CountParameters(Valid(type)));
    Eigen::Index covered = 0;
    for (const TensorSlice& slice : model->Layout()) {
      EXPECT_EQ(slice.offset, covered) << slice.name;
      covered += slice.size();
    }
    EXPECT_EQ(covered, model->NumParameters());
  }
}

TEST(ModelFactoryTest, LinearModelsStartAtZeroAndMlpFromSeed) {
  EXPECT_TRUE(MakeModel(Valid("logistic"), 3)->Parameters().isZero());
  EXPECT_TRUE(MakeModel(Valid("softmax"), 3)->Parameters().isZero());
  EXPECT_EQ(MakeModel(Valid("mlp"), 3)->Parameters(), MakeModel(Valid("mlp"), 3)->Parameters());
  EXPECT_NE(MakeModel(Valid("mlp"), 3)->Parameters(), MakeModel(Valid("mlp"), 4)->Parameters());
}

TEST(ModelFactoryTest, RejectsInvalidSpecsNamingTheField) {
  ModelSpec spec = Valid("logistic");
  spec.type = "forest";
  EXPECT_EQ(RejectedField(spec), "model.type");

  spec = Valid("softmax");
  spec.input_dim = 0;
  EXPECT_EQ(RejectedField(spec), "model.inputDim");

  spec = Valid("logistic");
  spec.num_classes = 3;
  EXPECT_EQ(RejectedField(spec), "model.numClasses");

  spec = Valid("softmax");
  spec.num_classes = 1;
  EXPECT_EQ(RejectedField(spec), "model.numClasses");

  spec = Valid("mlp");
  spec.hidden_layers = {8, 0};
  EXPECT_EQ(RejectedField(spec), "model.hiddenLayers[1]");

  spec = Valid("mlp");
  spec.hidden_layers = {};
  EXPECT_EQ(RejectedField(spec), "model.hiddenLayers");

  spec = Valid("softmax");
  spec.hidden_layers = {3};
  EXPECT_EQ(RejectedField(spec), "model.hiddenLayers");

  spec = Valid("logistic");
  spec.l2 = -0.1;
  EXPECT_EQ(RejectedField(spec), "model.l2");
  spec.l2 = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(RejectedField(spec), "model.l2");

  spec = Valid("mlp");
  spec.input_dim = 1 << 20;
  spec.hidden_layers = {1 << 20};
  EXPECT_EQ(RejectedField(spec), "model");
}

TEST(ModelFactoryTest, MessageExplainsTheProblem) {
  ModelSpec spec = Valid("logistic");
  spec.num_classes = 5;
  try {
    MakeModel(spec, 0);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("got 5"), std::string::npos) << e.what();
  }
}

TEST(ModelFactoryTest, ValidateUsesTheCallersLocation) {
  ModelSpec spec = Valid("mlp");
  spec.hidden_layers = {-2};
  try {
    ValidateModelSpec(spec, "churn.yaml: spec.model");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "churn.yaml: spec.model.hiddenLayers[0]");
  }
}

}  // namespace
}  // namespace fedcrm::model
