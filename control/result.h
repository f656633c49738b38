// Results of control-plane calls: an ebpfaas::Error (a one-line, user-facing
// message naming what and where) together with the kind of failure, so that a
// front end can answer with the right status (HTTP 400/404/409/413/503/500)
// without reading the message.
//
//   control::Result<FunctionInfo> r = service.deploy(spec);
//   if (!r) return reply(http_status(r.kind()), r.error().message());
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>

#include "support/error.h"

namespace ebpfaas::control {

enum class ErrorKind {
  kInvalidArgument,  // bad input: name, JSON field, time, ports, C that does not compile,
                     // a program the verifier rejects, a map key of the wrong size (400)
  kNotFound,         // unknown function, image, map, map key, call id (404)
  kAlreadyExists,    // function name taken, map key present with "noexist" (409)
  kTooLarge,         // upload beyond the service's max_upload (413)
  kUnavailable,      // queue full, function scaled to 0 replicas, shutting down (503)
  kInternal,         // storage or system failure: disk full, SQLite error (500)
};

// "invalid argument", "not found", ...
std::string_view error_kind_name(ErrorKind kind);
// The HTTP status OpenFaaS front ends answer with for `kind`.
int http_status(ErrorKind kind);

// A classified error, convertible to every Result<T>.
struct Failure {
  ErrorKind kind;
  Error error;
};

// Expected<T> with an ErrorKind. Converts from T, from (kind, Error), and from a
// bare Error (kInternal: an error nobody classified is the service's fault).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                                   // NOLINT
  Result(Error error) : v_(std::move(error)), kind_(ErrorKind::kInternal) {}  // NOLINT
  Result(ErrorKind kind, Error error) : v_(std::move(error)), kind_(kind) {}
  Result(Failure f) : v_(std::move(f.error)), kind_(f.kind) {}  // NOLINT
  template <class U>
  Result(Expected<U> e)  // NOLINT: an Expected's value or its error (kInternal)
    requires std::is_convertible_v<U, T>
      : v_(e ? Expected<T>(std::move(*e)) : Expected<T>(e.error())), kind_(ErrorKind::kInternal) {}

  bool ok() const { return v_.ok(); }
  explicit operator bool() const { return ok(); }
  T& value() & { return v_.value(); }
  const T& value() const& { return v_.value(); }
  T&& value() && { return std::move(v_).value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return v_.error(); }
  ErrorKind kind() const { return kind_; }

 private:
  Expected<T> v_;
  ErrorKind kind_ = ErrorKind::kInternal;  // meaningful only when !ok()
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : v_(std::move(error)), kind_(ErrorKind::kInternal) {}  // NOLINT
  Result(ErrorKind kind, Error error) : v_(std::move(error)), kind_(kind) {}
  Result(Failure f) : v_(std::move(f.error)), kind_(f.kind) {}  // NOLINT
  Result(Status s) : v_(std::move(s)) {}                        // NOLINT: kInternal when failed

  bool ok() const { return v_.ok(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return v_.error(); }
  ErrorKind kind() const { return kind_; }

 private:
  Status v_;
  ErrorKind kind_ = ErrorKind::kInternal;
};

using Outcome = Result<void>;

// Shorthand: return fail(ErrorKind::kNotFound, "no function \"{}\"", name);
template <class... Args>
Failure fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  return Failure{kind, errorf(format, std::forward<Args>(args)...)};
}
template <class T>
Failure failure_of(const Result<T>& r) {
  return Failure{r.kind(), r.error()};
}
template <class T>
Failure failure_of(const Expected<T>& e) {
  return Failure{ErrorKind::kInternal, e.error()};
}

}  // namespace ebpfaas::control

// Propagates the failure (with its kind) of a Result-returning expression.
#define EBPFAAS_CONTROL_TRY(expr)                             \
  do {                                                        \
    if (auto ebpfaas_result_ = (expr); !ebpfaas_result_)      \
      return ::ebpfaas::control::failure_of(ebpfaas_result_); \
  } while (0)
