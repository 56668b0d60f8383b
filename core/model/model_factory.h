// Validation of a ModelSpec. MakeModel (declared in model.h) runs it before
// building; readers of specs from files run it to report errors at their
// source.
#pragma once

#include <cstdint>
#include <string>

#include "core/model/model.h"

namespace fedcrm::model {

// Upper bound on the parameters of any model. Specs arrive in model files
// and round configurations; the bound keeps a hostile spec from asking for
// an allocation the host cannot make.
inline constexpr int64_t kMaxParameters = int64_t{1} << 27;

// Throws fedcrm::ConfigError("<where>.<field>", problem) for an unknown type,
// input_dim <= 0, a logistic model with num_classes != 2, num_classes < 2,
// hidden layers on a linear model, an mlp without hidden layers or with a
// layer <= 0, a negative or non-finite l2, or more than kMaxParameters
// parameters.
void ValidateModelSpec(const ModelSpec& spec, const std::string& where = "model");

// The number of parameters `spec` implies; requires a valid spec.
int64_t CountParameters(const ModelSpec& spec);

}  // namespace fedcrm::model
