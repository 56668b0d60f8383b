#include "core/model/model_file.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <random>

#include "core/common/error.h"
#include "core/model/safetensors.h"

namespace fedcrm::model {
namespace {

ModelSpec Spec(const std::string& type) {
  ModelSpec spec;
  spec.type = type;
  spec.input_dim = 5;
  spec.num_classes = type == "logistic" ? 2 : 3;
  if (type == "mlp") spec.hidden_layers = {4, 3};
  spec.l2 = 0.01;
  return spec;
}

// A model whose parameters use all 64 bits of each double.
std::unique_ptr<Model> RandomModel(const std::string& type, unsigned seed) {
  std::unique_ptr<Model> model = MakeModel(Spec(type), seed);
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::VectorXd params(model->NumParameters());
  for (Eigen::Index i = 0; i < params.size(); ++i) params(i) = normal(engine) / 3.0;
  model->SetParameters(params);
  return model;
}

ModelCard Card() {
  ModelCard card;
  card.task = "routing";
  card.metrics = {{"accuracy", 0.7}};
  card.lineage = {{"round", 1}};
  return card;
}

std::string ParseError(const std::string& bytes) {
  try {
    ParseModel(bytes, "upload.safetensors");
  } catch (const DataError& e) {
    EXPECT_EQ(e.position().file, "upload.safetensors");
    return e.what();
  }
  return "";
}

TEST(ModelFileTest, SaveThenLoadIsBitExact) {
  for (const std::string type : {"logistic", "softmax", "mlp"}) {
    SCOPED_TRACE(type);
    const std::unique_ptr<Model> model = RandomModel(type, 17);
    const std::string bytes = SerializeModel(*model, Card());
    const LoadedModel loaded = ParseModel(bytes, "mem");
    ASSERT_EQ(loaded.model->NumParameters(), model->NumParameters());
    for (Eigen::Index i = 0; i < model->NumParameters(); ++i) {
      EXPECT_EQ(std::bit_cast<uint64_t>(loaded.model->Parameters()(i)),
                std::bit_cast<uint64_t>(model->Parameters()(i)));
    }
    const Eigen::MatrixXd x = Eigen::MatrixXd::Random(10, 5);
    EXPECT_EQ(loaded.model->PredictProba(x), model->PredictProba(x));
    EXPECT_EQ(loaded.card.spec.type, type);
    EXPECT_EQ(loaded.card.spec.hidden_layers, model->spec().hidden_layers);
    EXPECT_EQ(loaded.card.spec.l2, 0.01);
    EXPECT_EQ(loaded.card.task, "routing");
    EXPECT_EQ(loaded.card.metrics, Card().metrics);
    EXPECT_EQ(loaded.digest, Digest(bytes));
    // And a second save of the loaded model gives the same bytes.
    EXPECT_EQ(SerializeModel(*loaded.model, loaded.card), bytes);
  }
}

TEST(ModelFileTest, FileHoldsLayoutTensorsAndVersionedCard) {
  const std::unique_ptr<Model> model = RandomModel("mlp", 3);
  const SafetensorsContents contents = ReadSafetensors(SerializeModel(*model, Card()), "mem");
  ASSERT_EQ(contents.tensors.size(), model->Layout().size());
  for (size_t i = 0; i < contents.tensors.size(); ++i) {
    EXPECT_EQ(contents.tensors[i].name, model->Layout()[i].name);
    EXPECT_EQ(contents.tensors[i].shape, model->Layout()[i].shape);
  }
  EXPECT_EQ(contents.metadata.at(kModelFormatKey), "1");
  const nlohmann::json card = nlohmann::json::parse(contents.metadata.at(kModelCardKey));
  EXPECT_EQ(card["model"]["type"], "mlp");
}

TEST(ModelFileTest, CardSpecComesFromTheModel) {
  const std::unique_ptr<Model> model = RandomModel("softmax", 4);
  ModelCard card = Card();
  card.spec.type = "logistic";  // stale; must not end up in the file
  const LoadedModel loaded = ParseModel(SerializeModel(*model, card), "mem");
  EXPECT_EQ(loaded.card.spec.type, "softmax");
}

TEST(ModelFileTest, DigestIsSha256AndStable) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::unique_ptr<Model> model = RandomModel("logistic", 5);
  const std::string bytes = SerializeModel(*model, Card());
  EXPECT_EQ(SerializeModel(*model->Clone(), Card()), bytes);
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x01;
  EXPECT_NE(Digest(flipped), Digest(bytes));
}

std::string WithMetadata(const std::map<std::string, std::string>& metadata,
                         std::vector<NamedTensor> tensors) {
  SafetensorsContents contents;
  contents.tensors = std::move(tensors);
  contents.metadata = metadata;
  return WriteSafetensors(contents);
}

const char kLogisticCard[] = R"({"model":{"type":"logistic","inputDim":2}})";

TEST(ModelFileTest, RejectsFilesThatAreNotFedcrmModels) {
  EXPECT_NE(ParseError("tiny").find("at least 8 bytes"), std::string::npos);
  EXPECT_NE(ParseError("not a model file").find("header length"), std::string::npos);
  const std::vector<NamedTensor> tensors = {{"weight", {2}, {1, 2}}, {"bias", {1}, {3}}};
  EXPECT_NE(ParseError(WithMetadata({}, tensors)).find("fedcrm.format"), std::string::npos);
  EXPECT_NE(
      ParseError(WithMetadata({{"fedcrm.format", "2"}, {"fedcrm.card", kLogisticCard}}, tensors))
          .find("expected format version 1"),
      std::string::npos);
  EXPECT_NE(ParseError(WithMetadata({{"fedcrm.format", "1"}}, tensors)).find("model card"),
            std::string::npos);
  EXPECT_EQ(
      ParseError(WithMetadata({{"fedcrm.format", "1"}, {"fedcrm.card", kLogisticCard}}, tensors)),
      "");
}

TEST(ModelFileTest, RejectsBadCards) {
  const std::vector<NamedTensor> tensors = {{"weight", {2}, {1, 2}}, {"bias", {1}, {3}}};
  const auto with_card = [&](const std::string& card) {
    return ParseError(WithMetadata({{"fedcrm.format", "1"}, {"fedcrm.card", card}}, tensors));
  };
  EXPECT_NE(with_card("{not json").find("invalid JSON"), std::string::npos);
  EXPECT_NE(with_card(R"({"model":{"type":"tree","inputDim":2}})").find("fedcrm.card.model.type"),
            std::string::npos);
  EXPECT_NE(with_card(std::string(100, '[') + std::string(100, ']')).find("nested"),
            std::string::npos);
}

TEST(ModelFileTest, RejectsTensorsThatDoNotMatchTheCard) {
  const std::map<std::string, std::string> metadata = {{"fedcrm.format", "1"},
                                                       {"fedcrm.card", kLogisticCard}};
  // Three weights for a two-feature model.
  EXPECT_NE(ParseError(WithMetadata(metadata, {{"weight", {3}, {1, 2, 3}}, {"bias", {1}, {0}}}))
                .find("stored parameters"),
            std::string::npos);
  // Right count, wrong names.
  EXPECT_NE(ParseError(WithMetadata(metadata, {{"w", {2}, {1, 2}}, {"bias", {1}, {0}}}))
                .find("tensor named 'weight'"),
            std::string::npos);
  // Right count, wrong shape.
  EXPECT_NE(ParseError(WithMetadata(metadata, {{"weight", {1, 2}, {1, 2}}, {"bias", {1}, {0}}}))
                .find("shape"),
            std::string::npos);
  // Right count split into an extra tensor.
  EXPECT_NE(
      ParseError(
          WithMetadata(metadata, {{"weight", {2}, {1, 2}}, {"bias", {0}, {}}, {"extra", {1}, {0}}}))
          .find("tensors"),
      std::string::npos);
  // Non-finite parameter.
  EXPECT_NE(
      ParseError(WithMetadata(metadata, {{"weight", {2}, {1, std::nan("")}}, {"bias", {1}, {0}}}))
          .find("finite"),
      std::string::npos);
}

TEST(ModelFileTest, SurvivesRandomCorruption) {
  const std::string good = SerializeModel(*RandomModel("mlp", 9), Card());
  std::mt19937 engine(99);
  std::uniform_int_distribution<size_t> position(0, good.size() - 1);
  for (int trial = 0; trial < 1500; ++trial) {
    std::string bytes = good;
    bytes[position(engine)] = static_cast<char>(engine() & 0xff);
    try {
      ParseModel(bytes, "fuzz");
    } catch (const DataError&) {
    }
  }
}

TEST(ModelFileTest, LoadModelFileReportsUnreadablePaths) {
  EXPECT_THROW(LoadModelFile("/nonexistent/dir/model.safetensors"), ConfigError);
  EXPECT_THROW(LoadModelFile(std::filesystem::temp_directory_path()), ConfigError);
}

}  // namespace
}  // namespace fedcrm::model
