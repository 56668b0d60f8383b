#include "core/model/model_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/common/error.h"
#include "core/model/model_file.h"

namespace fedcrm::model {
namespace {

namespace fs = std::filesystem;

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "fedcrm-model-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string ModelBytes(double weight) {
    ModelSpec spec;
    spec.input_dim = 2;
    std::unique_ptr<Model> model = MakeModel(spec, 0);
    model->SetParameters(Eigen::Vector3d(weight, -weight, 0.5));
    ModelCard card;
    card.task = "lead-scoring";
    return SerializeModel(*model, card);
  }

  size_t FileCount() const {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(root_ / "store"), fs::directory_iterator()));
  }

  fs::path root_;
};

TEST_F(ModelStoreTest, PutThenGet) {
  ModelStore store(root_ / "store");  // created on demand
  const std::string bytes = ModelBytes(1.0);
  const std::string digest = store.Put(bytes);
  EXPECT_EQ(digest, Digest(bytes));
  EXPECT_TRUE(store.Contains(digest));
  EXPECT_EQ(store.Get(digest), bytes);

  const std::string hex = digest.substr(7);
  EXPECT_TRUE(fs::exists(root_ / "store" / (hex + ".safetensors")));
  std::ifstream card_file(root_ / "store" / (hex + ".card.json"));
  const nlohmann::json card = nlohmann::json::parse(card_file);
  EXPECT_EQ(card["task"], "lead-scoring");
  EXPECT_EQ(FileCount(), 2u);  // no temporary files left behind
}

TEST_F(ModelStoreTest, PutIsIdempotent) {
  ModelStore store(root_ / "store");
  const std::string bytes = ModelBytes(2.0);
  const std::string first = store.Put(bytes);
  const auto modified = fs::last_write_time(root_ / "store" / (first.substr(7) + ".safetensors"));
  EXPECT_EQ(store.Put(bytes), first);
  EXPECT_EQ(fs::last_write_time(root_ / "store" / (first.substr(7) + ".safetensors")), modified);
  EXPECT_EQ(FileCount(), 2u);
  EXPECT_EQ(store.List(), std::vector<std::string>{first});
}

TEST_F(ModelStoreTest, ListIsSortedAndIgnoresOtherFiles) {
  ModelStore store(root_ / "store");
  std::vector<std::string> digests = {store.Put(ModelBytes(1.0)), store.Put(ModelBytes(2.0)),
                                      store.Put(ModelBytes(3.0))};
  std::ofstream(root_ / "store" / "README") << "not a model";
  std::ofstream(root_ / "store" / (std::string(64, 'g') + ".safetensors")) << "bad name";
  std::sort(digests.begin(), digests.end());
  EXPECT_EQ(store.List(), digests);
}

TEST_F(ModelStoreTest, AbsentDigestIsNullopt) {
  ModelStore store(root_ / "store");
  const std::string absent = "sha256:" + std::string(64, '0');
  EXPECT_FALSE(store.Contains(absent));
  EXPECT_EQ(store.Get(absent), std::nullopt);
}

TEST_F(ModelStoreTest, RejectsMalformedDigestsWithoutTouchingPaths) {
  ModelStore store(root_ / "store");
  std::ofstream(root_ / "secret") << "outside the store";
  const std::string hex(64, 'a');
  const std::vector<std::string> malformed = {std::string("../secret"),
                                              "sha256:../secret",
                                              "sha256:../../" + hex.substr(6),
                                              "sha256:" + std::string(64, 'A'),
                                              "sha256:" + hex.substr(1),
                                              "sha256:" + hex + "0",
                                              "sha256:" + hex + "/",
                                              "SHA256:" + hex,
                                              "sha512:" + hex,
                                              std::string(""),
                                              "sha256:" + hex.substr(2) + "/.",
                                              std::string("sha256:") + std::string(63, 'a') + '\0'};
  for (const std::string& bad : malformed) {
    EXPECT_THROW(store.Get(bad), ConfigError) << bad;
    EXPECT_THROW(store.Contains(bad), ConfigError) << bad;
  }
}

TEST_F(ModelStoreTest, CorruptFileFailsGetAndPutRepairsIt) {
  ModelStore store(root_ / "store");
  const std::string bytes = ModelBytes(4.0);
  const std::string digest = store.Put(bytes);
  const fs::path path = root_ / "store" / (digest.substr(7) + ".safetensors");
  std::string corrupt = bytes;
  corrupt[corrupt.size() - 1] ^= 0x40;  // one flipped bit in the last parameter
  std::ofstream(path, std::ios::binary | std::ios::trunc) << corrupt;
  EXPECT_THROW(store.Get(digest), DataError);

  EXPECT_EQ(store.Put(bytes), digest);
  EXPECT_EQ(store.Get(digest), bytes);
}

TEST_F(ModelStoreTest, PutRejectsBytesThatAreNotAModel) {
  ModelStore store(root_ / "store");
  EXPECT_THROW(store.Put("definitely not a model file"), DataError);
  EXPECT_EQ(FileCount(), 0u);
}

TEST_F(ModelStoreTest, ConstructorRejectsAFileAsDirectory) {
  std::ofstream(root_ / "plain") << "x";
  EXPECT_THROW(ModelStore(root_ / "plain"), ConfigError);
}

TEST_F(ModelStoreTest, SurvivesReopening) {
  const std::string bytes = ModelBytes(5.0);
  const std::string digest = ModelStore(root_ / "store").Put(bytes);
  EXPECT_EQ(ModelStore(root_ / "store").Get(digest), bytes);
}

}  // namespace
}  // namespace fedcrm::model
