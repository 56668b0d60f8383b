// Builders for the pieces of a feature schema in its JSON form (the shape
// core/data/feature_schema.h parses), so each task spells its schema as a
// short list instead of nested JSON literals.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedcrm::data::synthetic {

nlohmann::json BinaryLabel(std::string_view name, std::string_view positive,
                           std::string_view negative);
nlohmann::json MulticlassLabel(std::string_view name, const std::vector<std::string>& classes);

// `missing`: error, mean or zero. `transform`: none or log1p.
nlohmann::json NumericFeature(std::string_view name, std::string_view missing,
                              std::string_view transform);
nlohmann::json CategoricalFeature(std::string_view name,
                                  const std::vector<std::string>& vocabulary);
// `missing`: error or false.
nlohmann::json BooleanFeature(std::string_view name, std::string_view missing);
nlohmann::json TextFeature(std::string_view name, int buckets);

// Copies of a task's constant names (vocabularies, classes) for a schema.
std::vector<std::string> Names(std::span<const std::string_view> names);

// The header of a file that follows `schema`: its feature names in order,
// then the label.
std::vector<std::string> SchemaColumns(const nlohmann::json& schema);

}  // namespace fedcrm::data::synthetic
