#include "bench/bench_data.h"

#include <cmath>
#include <filesystem>
#include <random>
#include <system_error>

#include "bench/npy_file.h"
#include "core/common/error.h"

namespace fedcrm::bench {
namespace {

constexpr double kWeightNorm = 2.0;

DataError::Position FilePosition(const std::string& file) {
  DataError::Position position;
  position.file = file;
  return position;
}

std::string ArrayPath(const std::string& dir, const std::string& name, const char* array) {
  std::string file = array;
  file.append(".npy");  // not operator+: GCC 12 warns falsely (-Wrestrict) on it
  return (std::filesystem::path(dir) / name / file).string();
}

void NameColumns(data::Dataset* data) {
  data->feature_names.clear();
  for (Eigen::Index j = 0; j < data->x.cols(); ++j) {
    data->feature_names.push_back(std::string("x").append(std::to_string(j)));
  }
  data->class_names = {"0", "1"};
}

}  // namespace

data::Dataset MakeSyntheticLogistic(int64_t rows, int features, uint64_t seed) {
  // Not std::normal_distribution-portable across standard libraries, which
  // is fine: the files, not the generator, are what every side shares.
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);

  Eigen::VectorXd weights(features);
  for (double& w : weights) w = normal(engine);
  weights *= kWeightNorm / weights.norm();

  data::Dataset out;
  out.x.resize(rows, features);
  out.y.resize(rows);
  for (int64_t i = 0; i < rows; ++i) {
    for (int j = 0; j < features; ++j) out.x(i, j) = normal(engine);
    const double p = 1.0 / (1.0 + std::exp(-out.x.row(i).dot(weights)));
    out.y(i) = uniform(engine) < p ? 1 : 0;
  }
  NameColumns(&out);
  return out;
}

void WriteBenchData(const BenchConfig& config, const std::string& dir) {
  for (size_t i = 0; i < config.datasets.size(); ++i) {
    const DatasetSpec& spec = config.datasets[i];
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(dir) / spec.name, error);
    if (error) {
      throw DataError(FilePosition(dir), "", "a directory that can be created: " + error.message());
    }
    // Each data set gets its own stream so that adding one changes no other.
    const data::Dataset data = MakeSyntheticLogistic(config.rows, spec.features, config.seed + i);
    WriteNpyMatrix(ArrayPath(dir, spec.name, "x"), data.x);
    WriteNpyVector(ArrayPath(dir, spec.name, "y"), data.y);
  }
}

data::Dataset LoadBenchDataset(const std::string& dir, const std::string& name) {
  data::Dataset out;
  out.x = ReadNpyMatrix(ArrayPath(dir, name, "x"));
  const std::string y_path = ArrayPath(dir, name, "y");
  out.y = ReadNpyVector(y_path);
  if (out.y.size() != out.x.rows()) {
    throw DataError(FilePosition(y_path), "",
                    std::to_string(out.x.rows()) + " labels (one per row of x.npy), got " +
                        std::to_string(out.y.size()));
  }
  if ((out.y.array() < 0).any() || (out.y.array() > 1).any()) {
    throw DataError(FilePosition(y_path), "", "binary labels 0 or 1");
  }
  NameColumns(&out);
  return out;
}

}  // namespace fedcrm::bench
