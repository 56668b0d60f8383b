// Errors from an API server, typed by HTTP status so controllers can branch on
// them the way client-go's apierrors.IsNotFound / IsConflict do.
#pragma once

#include <stdexcept>
#include <string>

namespace fedcrm::kube {

// The API server answered with a non-2xx status. Carries the code and the
// reason and message of the metav1.Status body (or the raw body if it had
// none), and names the operation ("get federatedrounds ns/name").
class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, std::string message, std::string operation);

  int code() const { return code_; }
  // metav1.Status reason: "NotFound", "AlreadyExists", "Conflict", "Gone",
  // "Invalid", "Forbidden", "Expired", ... ("" when the body had none).
  const std::string& reason() const { return reason_; }
  // metav1.Status message, e.g. the schema's validation message for a 422.
  const std::string& status_message() const { return message_; }
  const std::string& operation() const { return operation_; }

  bool IsNotFound() const { return code_ == 404; }
  // 409 from a create of an existing name.
  bool IsAlreadyExists() const { return code_ == 409 && reason_ == "AlreadyExists"; }
  // 409 from a stale resourceVersion (optimistic concurrency).
  bool IsConflict() const { return code_ == 409 && reason_ != "AlreadyExists"; }
  // 410: the resourceVersion is too old; relist.
  bool IsGone() const { return code_ == 410 || reason_ == "Expired" || reason_ == "Gone"; }
  // 422: the object failed validation.
  bool IsInvalid() const { return code_ == 422; }

 private:
  int code_;
  std::string reason_;
  std::string message_;
  std::string operation_;
};

// The API server could not be reached or the connection broke (DNS, refused,
// TLS handshake, reset, timeout). Always worth a retry with backoff.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace fedcrm::kube
