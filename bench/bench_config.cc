#include "bench/bench_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/common/error.h"
#include "core/model/model_factory.h"

namespace fedcrm::bench {
namespace {

using nlohmann::json;

// Reads fields of one JSON object, naming "<file>: <path>.<field>" in errors.
class Reader {
 public:
  // The root's fields read "<file>: field"; nested ones "<file>: parent.field".
  Reader(const json& object, std::string where, bool root = false)
      : object_(object), where_(std::move(where)), root_(root) {
    if (!object_.is_object()) throw ConfigError(where_, "expected an object");
  }

  const json& Field(const std::string& name) const {
    const auto it = object_.find(name);
    if (it == object_.end()) throw ConfigError(Where(name), "missing");
    return *it;
  }

  double Positive(const std::string& name) const {
    const json& value = Field(name);
    if (!value.is_number() || !(value.get<double>() > 0.0) || !std::isfinite(value.get<double>())) {
      throw ConfigError(Where(name), "expected a finite number > 0, got " + value.dump());
    }
    return value.get<double>();
  }

  int64_t PositiveInt(const std::string& name) const {
    const json& value = Field(name);
    if (!value.is_number_integer() || value.get<int64_t>() <= 0) {
      throw ConfigError(Where(name), "expected an integer > 0, got " + value.dump());
    }
    return value.get<int64_t>();
  }

  std::string Name(const std::string& name) const {
    const json& value = Field(name);
    if (!value.is_string() || value.get<std::string>().empty() ||
        value.get<std::string>().find_first_of("/\\. ") != std::string::npos) {
      throw ConfigError(
          Where(name), "expected a non-empty name without '/', '.' or spaces, got " + value.dump());
    }
    return value.get<std::string>();
  }

  std::string Where(const std::string& name) const { return where_ + (root_ ? ": " : ".") + name; }

 private:
  const json& object_;
  std::string where_;
  bool root_;
};

std::vector<DatasetSpec> ReadDatasets(const Reader& top) {
  const json& list = top.Field("datasets");
  if (!list.is_array() || list.empty()) {
    throw ConfigError(top.Where("datasets"), "expected a non-empty array");
  }
  std::vector<DatasetSpec> out;
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const Reader item(list[i], top.Where("datasets[" + std::to_string(i) + "]"));
    DatasetSpec spec{item.Name("name"), static_cast<int>(item.PositiveInt("features"))};
    if (!names.insert(spec.name).second) {
      throw ConfigError(item.Where("name"), "duplicate data set name '" + spec.name + "'");
    }
    out.push_back(spec);
  }
  return out;
}

TrainingWorkload ReadWorkload(const Reader& item, const BenchConfig& config) {
  TrainingWorkload workload;
  workload.name = item.Name("name");
  workload.dataset = item.Name("dataset");
  const auto known = std::find_if(config.datasets.begin(), config.datasets.end(),
                                  [&](const DatasetSpec& d) { return d.name == workload.dataset; });
  if (known == config.datasets.end()) {
    throw ConfigError(item.Where("dataset"),
                      "expected one of the names under 'datasets', got '" + workload.dataset + "'");
  }
  workload.model.input_dim = known->features;
  const json& type = item.Field("model");
  if (!type.is_string()) throw ConfigError(item.Where("model"), "expected a string");
  workload.model.type = type.get<std::string>();
  if (item.Field("hidden").is_array()) {
    for (const json& width : item.Field("hidden")) {
      if (!width.is_number_integer()) {
        throw ConfigError(item.Where("hidden"), "expected an array of integers");
      }
      workload.model.hidden_layers.push_back(width.get<int>());
    }
  } else {
    throw ConfigError(item.Where("hidden"), "expected an array ([] for linear models)");
  }
  model::ValidateModelSpec(workload.model, item.Where("model"));
  return workload;
}

std::vector<TrainingWorkload> ReadTraining(const Reader& top, const BenchConfig& config) {
  const json& list = top.Field("training");
  if (!list.is_array()) throw ConfigError(top.Where("training"), "expected an array");
  std::vector<TrainingWorkload> out;
  for (size_t i = 0; i < list.size(); ++i) {
    out.push_back(
        ReadWorkload(Reader(list[i], top.Where("training[" + std::to_string(i) + "]")), config));
  }
  return out;
}

// A non-empty array whose items each pass `check`, read as T.
template <typename T, typename Check>
std::vector<T> ReadList(const Reader& reader, const std::string& name, const char* expected,
                        Check check) {
  const json& list = reader.Field(name);
  if (!list.is_array() || list.empty()) {
    throw ConfigError(reader.Where(name), "expected a non-empty array");
  }
  std::vector<T> out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!check(list[i])) {
      throw ConfigError(reader.Where(name + "[" + std::to_string(i) + "]"),
                        std::string("expected ") + expected + ", got " + list[i].dump());
    }
    out.push_back(list[i].get<T>());
  }
  return out;
}

SecAggWorkload ReadSecAgg(const Reader& top) {
  const Reader secagg(top.Field("secagg"), top.Where("secagg"));
  SecAggWorkload w;
  // Three clients is the smallest round with a strict-majority threshold below n.
  w.clients = ReadList<int>(secagg, "clients", "an integer in [3, 65536]", [](const json& v) {
    return v.is_number_integer() && v.get<int64_t>() >= 3 && v.get<int64_t>() <= 65536;
  });
  w.vector_lengths =
      ReadList<int64_t>(secagg, "vector_lengths", "an integer in [1, 2^28]", [](const json& v) {
        return v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= (1 << 28);
      });
  w.dropout_rates =
      ReadList<double>(secagg, "dropout_rates", "a number in [0, 1)", [](const json& v) {
        return v.is_number() && v.get<double>() >= 0.0 && v.get<double>() < 1.0;
      });
  w.modulus_bits = static_cast<int>(secagg.PositiveInt("modulus_bits"));
  if (w.modulus_bits > 64) throw ConfigError(secagg.Where("modulus_bits"), "expected 1..64");
  w.repetitions = static_cast<int>(secagg.PositiveInt("repetitions"));
  w.min_time_s = secagg.Positive("min_time_s");
  return w;
}

}  // namespace

const DatasetSpec& BenchConfig::Dataset(const std::string& name) const {
  for (const DatasetSpec& spec : datasets) {
    if (spec.name == name) return spec;
  }
  throw ConfigError("dataset '" + name + "'", "not among the configured data sets");
}

BenchConfig LoadBenchConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, "cannot open the benchmark configuration");
  const json document = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) throw ConfigError(path, "expected a JSON document");

  const Reader top(document, path, /*root=*/true);
  BenchConfig config;
  config.rows = top.PositiveInt("rows");
  config.seed = static_cast<uint64_t>(top.PositiveInt("seed"));
  config.batch_size = top.PositiveInt("batch_size");
  if (config.batch_size > config.rows) {
    throw ConfigError(top.Where("batch_size"), "expected at most rows");
  }
  config.steps = top.PositiveInt("steps");
  config.learning_rate = top.Positive("learning_rate");
  config.noise_multiplier = top.Positive("noise_multiplier");
  config.clip_norm = top.Positive("clip_norm");
  config.repetitions = static_cast<int>(top.PositiveInt("repetitions"));
  config.min_time_s = top.Positive("min_time_s");
  config.datasets = ReadDatasets(top);
  config.training = ReadTraining(top, config);

  const Reader accountant(top.Field("accountant"), top.Where("accountant"));
  config.accountant.sampling_rate = accountant.Positive("sampling_rate");
  config.accountant.noise_multiplier = accountant.Positive("noise_multiplier");
  config.accountant.delta = accountant.Positive("delta");
  config.accountant.steps = accountant.PositiveInt("steps");
  if (config.accountant.sampling_rate > 1.0 || config.accountant.delta >= 1.0) {
    throw ConfigError(top.Where("accountant"), "expected sampling_rate <= 1 and delta < 1");
  }
  config.secagg = ReadSecAgg(top);
  return config;
}

}  // namespace fedcrm::bench
