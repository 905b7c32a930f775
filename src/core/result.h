#pragma once
// Expected failures are values: a Result holds either a T or an Error with a message a user can
// act on. Exceptions are kept for the fatal, caught at the top of main.
#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace da {

// Why something failed, where a caller must tell causes apart (the eBPF -> ptrace fallback
// names a missing privilege differently from a kernel that lacks the feature; commands exit 2
// for a bad configuration and 1 for a failure at run time).
enum class ErrorCause {
  kOther,
  kPermission,   // needs root or a capability, or a security policy refused it (EPERM, EACCES)
  kUnsupported,  // this kernel or build does not offer it
  kUnreachable,  // a service (Docker, Redis, SMTP) could not be reached
  kInvalid,      // the user's input or configuration is wrong: exit code 2
};

struct Error {
  std::string message;
  ErrorCause cause = ErrorCause::kOther;
  int errno_value = 0;  // the system's errno when one caused it, else 0
};

// The cause an errno stands for.
inline ErrorCause cause_of_errno(int e) {
  if (e == EPERM || e == EACCES) return ErrorCause::kPermission;
  if (e == ENOSYS || e == EOPNOTSUPP || e == ENOENT) return ErrorCause::kUnsupported;
  return ErrorCause::kOther;
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace da
