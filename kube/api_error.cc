#include "kube/api_error.h"

#include <utility>

namespace fedcrm::kube {
namespace {

std::string Describe(int code, const std::string& reason, const std::string& message,
                     const std::string& operation) {
  std::string text = operation + ": " + std::to_string(code);
  if (!reason.empty()) text += " " + reason;
  return text + ": " + message;
}

}  // namespace

ApiError::ApiError(int code, std::string reason, std::string message, std::string operation)
    : std::runtime_error(Describe(code, reason, message, operation)),
      code_(code),
      reason_(std::move(reason)),
      message_(std::move(message)),
      operation_(std::move(operation)) {}

}  // namespace fedcrm::kube
