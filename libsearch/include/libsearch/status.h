// File: libsearch/status.h
//
// Status and Result<T>: how every libsearch call reports failure. No exception
// crosses the C++ API; the Python binding and the HTTP adapters map codes to
// exceptions and status codes at their edges.
//
// Example:
//   libsearch::Result<std::unique_ptr<libsearch::Index>> index =
//       libsearch::Index::Open("products.idx");
//   if (!index.ok()) { std::cerr << index.status().ToString(); return 1; }
//   (*index)->Search(...);
#pragma once

#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "libsearch/export.h"

namespace libsearch {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,    // The caller's input is wrong (query, schema, doc).
  kNotFound = 2,           // A file, field or document does not exist.
  kCorruption = 3,         // Stored data failed a checksum or a bounds check.
  kIOError = 4,            // The operating system refused a read or write.
  kUnimplemented = 5,      // A valid request for something not built yet.
  kResourceExhausted = 6,  // A configured limit was hit.
  kInternal = 7,           // A libsearch bug; please report it.
  kAborted = 8,            // Another writer committed first; read again and retry.
  kUnavailable = 9,        // A shard of a fan-out search failed or missed its deadline.
};

// Returns "OK", "InvalidArgument", ... for `code`.
LIBSEARCH_EXPORT std::string_view StatusCodeName(StatusCode code);

// A success, or an error code with a message saying what went wrong, where,
// and how to fix it. Cheap to copy when ok.
class [[nodiscard]] LIBSEARCH_EXPORT Status {
 public:
  Status() = default;  // OK.
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Unimplemented(std::string msg) {
    return {StatusCode::kUnimplemented, std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  static Status Aborted(std::string msg) { return {StatusCode::kAborted, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "InvalidArgument: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy with `context + ": "` put in front of the message.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a T or a non-OK Status. Modelled on absl::StatusOr: the default
// constructor is deleted so `return {}` can never mean "error" by accident.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result() = delete;
  // REQUIRES: !status.ok(). An OK status without a value becomes kInternal.
  Result(Status status)  // NOLINT(google-explicit-constructor)
      : value_(status.ok() ? Status::Internal("Result built from OK status") : std::move(status)) {}
  template <typename U = T, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                        !std::is_same_v<std::decay_t<U>, Status>>>
  Result(U&& value)  // NOLINT(google-explicit-constructor)
      : value_(std::in_place_index<1>, std::forward<U>(value)) {}

  bool ok() const { return value_.index() == 1; }
  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<0>(value_); }

  // REQUIRES: ok(). Aborts otherwise (a programming error, not a user error).
  T& value() & { return CheckedValue(); }
  const T& value() const& { return const_cast<Result*>(this)->CheckedValue(); }
  T&& value() && { return std::move(CheckedValue()); }
  T& operator*() & { return CheckedValue(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(CheckedValue()); }
  T* operator->() { return &CheckedValue(); }
  const T* operator->() const { return &value(); }

 private:
  T& CheckedValue() {
    if (!ok()) std::abort();
    return std::get<1>(value_);
  }
  std::variant<Status, T> value_;
};

}  // namespace libsearch

// Internal convenience macros; they are part of the public header only so
// that code built on libsearch can use them too.
#define LIBSEARCH_CONCAT_INNER_(a, b) a##b
#define LIBSEARCH_CONCAT_(a, b) LIBSEARCH_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (a Status) is not OK.
#define LIBSEARCH_RETURN_IF_ERROR(expr)      \
  do {                                       \
    ::libsearch::Status _ls_status = (expr); \
    if (!_ls_status.ok()) return _ls_status; \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its Status.
#define LIBSEARCH_ASSIGN_OR_RETURN(lhs, expr) \
  LIBSEARCH_ASSIGN_OR_RETURN_IMPL_(LIBSEARCH_CONCAT_(_ls_result_, __LINE__), lhs, expr)
#define LIBSEARCH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return tmp.status();                    \
  lhs = std::move(*tmp)
