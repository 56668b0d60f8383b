// Encoding a parsed table into the numeric matrix training consumes.
//
// Columns follow the schema's feature order:
//   numeric      1 column  "tenure_months"  (x - mean) / std with the
//                federation's statistics; missing: mean -> 0, zero -> the
//                standardized raw 0
//   categorical  vocabulary.size() + 1 one-hot columns "plan=basic", ...,
//                "plan=<other>"
//   boolean      1 column  "has_sso", 0 or 1
//   text         `buckets` columns "ticket_text#0", ... holding
//                log1p(token count)
#pragma once

#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/feature_schema.h"
#include "core/data/feature_statistics.h"
#include "core/data/table.h"

namespace fedcrm::data {

// Number of encoded columns; known from the schema alone, so a model can be
// built before any data is read.
int EncodedWidth(const FeatureSchema& schema);

// The names of the encoded columns, EncodedWidth(schema) of them.
std::vector<std::string> EncodedFeatureNames(const FeatureSchema& schema);

// Encodes `table` (read with `schema`) standardizing numeric features with
// `federation`, the summed statistics of every silo. Throws
// fedcrm::ConfigError when `federation` does not describe the schema's
// numeric features or `table` was read with a different schema.
Dataset Encode(const ParsedTable& table, const FeatureSchema& schema,
               const FeatureStatistics& federation);

}  // namespace fedcrm::data
