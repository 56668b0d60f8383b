#include "core/data/encoder.h"

#include <cmath>
#include <cstdint>

#include "core/common/error.h"
#include "core/data/excerpt.h"

namespace fedcrm::data {
namespace {

int Width(const FeatureSpec& spec) {
  switch (spec.type) {
    case FeatureType::kNumeric:
    case FeatureType::kBoolean:
      return 1;
    case FeatureType::kCategorical:
      return static_cast<int>(spec.vocabulary.size()) + 1;
    case FeatureType::kText:
      return spec.buckets;
  }
  return 0;
}

void CheckInputs(const ParsedTable& table, const FeatureSchema& schema,
                 const FeatureStatistics& federation) {
  const std::vector<std::string> numeric = schema.NumericFeatureNames();
  if (federation.names() != numeric) {
    throw ConfigError("federation statistics", "expected statistics of the numeric features [" +
                                                   JoinForMessage(numeric) + "], got [" +
                                                   JoinForMessage(federation.names()) + "]");
  }
  const std::vector<FeatureSpec>& features = schema.features();
  bool same = table.columns.size() == features.size();
  for (std::size_t f = 0; same && f < features.size(); ++f) {
    same = table.columns[f].name == features[f].name && table.columns[f].type == features[f].type;
  }
  if (!same) {
    throw ConfigError(table.source_name, "the table was read with a different feature schema");
  }
}

void EncodeNumeric(const FeatureSpec& spec, const ParsedColumn& column, double mean, double std,
                   Eigen::Ref<Eigen::VectorXd> out) {
  // Both policies are decided on the standardized scale: "mean" is the
  // federation's mean (0), "zero" is a raw 0.
  const double missing = spec.missing == MissingPolicy::kZero ? (0.0 - mean) / std : 0.0;
  for (Eigen::Index r = 0; r < out.size(); ++r) {
    const double value = column.numbers[static_cast<std::size_t>(r)];
    out(r) = std::isnan(value) ? missing : (value - mean) / std;
  }
}

void EncodeText(const ParsedColumn& column, Eigen::Ref<Eigen::MatrixXd> out) {
  const TextCounts& text = column.text;
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const auto begin = static_cast<std::size_t>(text.row_start[static_cast<std::size_t>(r)]);
    const auto end = static_cast<std::size_t>(text.row_start[static_cast<std::size_t>(r) + 1]);
    for (std::size_t k = begin; k < end; ++k) {
      out(r, text.bucket[k]) = std::log1p(static_cast<double>(text.count[k]));
    }
  }
}

}  // namespace

int EncodedWidth(const FeatureSchema& schema) {
  int width = 0;
  for (const FeatureSpec& spec : schema.features()) width += Width(spec);
  return width;
}

std::vector<std::string> EncodedFeatureNames(const FeatureSchema& schema) {
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(EncodedWidth(schema)));
  for (const FeatureSpec& spec : schema.features()) {
    switch (spec.type) {
      case FeatureType::kNumeric:
      case FeatureType::kBoolean:
        names.push_back(spec.name);
        break;
      case FeatureType::kCategorical:
        for (const std::string& value : spec.vocabulary) names.push_back(spec.name + "=" + value);
        names.push_back(spec.name + "=<other>");
        break;
      case FeatureType::kText:
        for (int b = 0; b < spec.buckets; ++b) names.push_back(spec.name + "#" + std::to_string(b));
        break;
    }
  }
  return names;
}

Dataset Encode(const ParsedTable& table, const FeatureSchema& schema,
               const FeatureStatistics& federation) {
  CheckInputs(table, schema, federation);
  const Eigen::Index rows = table.rows();
  Dataset out;
  out.x = Eigen::MatrixXd::Zero(rows, EncodedWidth(schema));
  out.y.resize(rows);
  for (Eigen::Index r = 0; r < rows; ++r) out.y(r) = table.labels[static_cast<std::size_t>(r)];
  out.num_classes = schema.num_classes();
  out.class_names = schema.label().classes;
  out.feature_names = EncodedFeatureNames(schema);

  Eigen::Index col = 0;
  Eigen::Index numeric_index = 0;
  const std::vector<FeatureSpec>& features = schema.features();
  for (std::size_t f = 0; f < features.size(); ++f) {
    const FeatureSpec& spec = features[f];
    const ParsedColumn& column = table.columns[f];
    const int width = Width(spec);
    switch (spec.type) {
      case FeatureType::kNumeric:
        EncodeNumeric(spec, column, federation.Mean(numeric_index),
                      federation.StdDev(numeric_index), out.x.col(col));
        ++numeric_index;
        break;
      case FeatureType::kCategorical:
        for (Eigen::Index r = 0; r < rows; ++r) {
          out.x(r, col + column.categories[static_cast<std::size_t>(r)]) = 1.0;
        }
        break;
      case FeatureType::kBoolean:
        for (Eigen::Index r = 0; r < rows; ++r) {
          out.x(r, col) = column.booleans[static_cast<std::size_t>(r)];
        }
        break;
      case FeatureType::kText:
        EncodeText(column, out.x.middleCols(col, width));
        break;
    }
    col += width;
  }
  return out;
}

}  // namespace fedcrm::data
