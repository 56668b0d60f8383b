#include "core/data/synthetic/schema_json.h"

namespace fedcrm::data::synthetic {

using nlohmann::json;

json BinaryLabel(std::string_view name, std::string_view positive, std::string_view negative) {
  return {{"name", name}, {"type", "binary"}, {"positive", positive}, {"negative", negative}};
}

json MulticlassLabel(std::string_view name, const std::vector<std::string>& classes) {
  return {{"name", name}, {"type", "multiclass"}, {"classes", classes}};
}

json NumericFeature(std::string_view name, std::string_view missing, std::string_view transform) {
  return {{"name", name}, {"type", "numeric"}, {"missing", missing}, {"transform", transform}};
}

json CategoricalFeature(std::string_view name, const std::vector<std::string>& vocabulary) {
  return {
      {"name", name}, {"type", "categorical"}, {"vocabulary", vocabulary}, {"unknown", "other"}};
}

json BooleanFeature(std::string_view name, std::string_view missing) {
  return {{"name", name}, {"type", "boolean"}, {"missing", missing}};
}

json TextFeature(std::string_view name, int buckets) {
  return {{"name", name}, {"type", "text"}, {"buckets", buckets}};
}

std::vector<std::string> Names(std::span<const std::string_view> names) {
  return std::vector<std::string>(names.begin(), names.end());
}

std::vector<std::string> SchemaColumns(const json& schema) {
  std::vector<std::string> columns;
  for (const json& feature : schema.at("features")) {
    columns.push_back(feature.at("name").get<std::string>());
  }
  columns.push_back(schema.at("label").at("name").get<std::string>());
  return columns;
}

}  // namespace fedcrm::data::synthetic
